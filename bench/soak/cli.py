"""Options and the run: the stack, the partners' load and the faults for `--minutes`, then the
settling, the checks and the summary table. Exit code 0 only when everything is clean."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.errors import BenchError
from bench.pipeline.companies import extra_companies, staff_headers
from bench.soak.analyst import Analyst
from bench.soak.checks import order_problems, quadra_cli, replay_keys, spool_leftovers
from bench.soak.faults import FaultRunner
from bench.soak.load import PartnerLoad, StaffTopUps
from bench.soak.report import SoakReport, summary_table
from bench.soak.schedule import FaultKind, fault_schedule
from bench.soak.settle import settle
from bench.soak.stack import SoakStack
from bench.soak.webhooks import FlakyWebhookReceiver
from bench.quadra_process import QuadraProcess

EVENT_TYPES = ("order.completed", "order.failed", "order.declined", "order.in_review")


async def _demo_webhook(up: QuadraProcess, key: str, hook_url: str) -> None:
    async with httpx.AsyncClient(base_url=up.url, timeout=30, trust_env=False) as client:
        r = await client.put("/v1/webhook-endpoint", headers={"Authorization": f"Bearer {key}"},
                             json={"url": hook_url, "event_types": list(EVENT_TYPES)})  # fmt: skip
        if r.status_code >= 300:
            raise BenchError(f"PUT /v1/webhook-endpoint: {r.status_code} {r.text[:200]}")


async def _progress(report: SoakReport, load: PartnerLoad, every_s: float) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        s = load.stats
        print(f"  {time.monotonic() - started:6.0f} s: sent {s.sent}, accepted {len(s.accepted)}, "
              f"waiting {load.waiting}, answers {dict(s.answers)}", flush=True)  # fmt: skip


async def run_soak(args: argparse.Namespace, work: Path) -> SoakReport:
    run_id = f"soak{secrets.token_hex(3)}"
    report = SoakReport(minutes=args.minutes, rate=args.rate, companies=args.companies, seed=args.seed, work=work)
    stack = SoakStack(work, f"{run_id}.", args.startup_timeout)
    hooks = FlakyWebhookReceiver()
    # SIGTERM cancels the soak like Ctrl-C, so the `finally` below stops the broker, the worker and
    # the sandbox it started (the default SIGTERM left them running).
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
    await hooks.start()
    began = time.monotonic()
    try:
        print(f"starting the stack in {work} …", flush=True)
        await stack.start()
        assert stack.up is not None
        report.startup_s = time.monotonic() - began
        staff = await staff_headers(stack.up)
        await _demo_webhook(stack.up, stack.demo_key, hooks.url)
        extra = await extra_companies(stack.up, args.companies - 1, hooks.url, EVENT_TYPES, staff)
        companies = [("cmp_demo", stack.demo_key), *((c.company_id, c.api_key) for c in extra)]
        duration_s = args.minutes * 60
        kinds = () if args.no_faults else args.faults
        plan = fault_schedule(args.seed, duration_s, (args.gap_min, args.gap_max), args.lead_in, args.quiet_tail, kinds)
        print(f"stack up in {report.startup_s:.0f} s; {len(companies)} companies, {args.rate:g} orders/s for "
              f"{args.minutes:g} min, {len(plan)} faults planned", flush=True)  # fmt: skip
        load = PartnerLoad(stack.up.url, companies, args.rate, args.seed, run_id)
        top_ups = StaffTopUps(stack.up.url, staff, [c for c, _ in companies], args.top_up_every, run_id)
        analyst = Analyst(stack.up.url, staff, args.review_every)
        runner = FaultRunner(stack, hooks, plan, duration_s, args.quiet_tail)
        tasks = [asyncio.create_task(t.run()) for t in (load, top_ups, analyst)]
        progress = asyncio.create_task(_progress(report, load, 30.0))
        load_started = time.monotonic()
        try:
            await runner.run()
        finally:
            load.stop()
            top_ups.stop()
            await runner.clear()
        report.load_s = time.monotonic() - load_started
        report.faults, report.skipped_faults = runner.records, runner.skipped
        print("load stopped; waiting for every order to be accepted and settled …", flush=True)
        await load.drain(args.settle_timeout)
        analyst.stop()  # the settling reviews what is left
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
        except TimeoutError:
            report.problems.append("a staff top-up or the analyst's sweep still running 120 s after the load stopped")
        progress.cancel()
        report.load, report.top_ups, report.top_up_retries = load.stats, top_ups.done, top_ups.retries
        report.problems += load.stats.problems + load.stats.gave_up + top_ups.problems
        settled = await settle(stack.up.url, load.stats.accepted, analyst, args.settle_timeout)
        report.settled = settled
        report.problems += settled.problems
        report.problems += await replay_keys(stack.up.url, load.stats.accepted, args.seed)
        executions = await stack.sandbox_executions()
        report.paid = sum(executions.values())
        report.problems += order_problems(load.stats.accepted, settled, executions)
        await asyncio.sleep(args.webhook_grace)  # the last orders' webhooks
        report.webhooks = hooks.counts
        report.unexpected_exits = list(stack.unexpected_exits)
        report.start_failures = stack.start_failures
        report.problems += stack.unexpected_exits
        report.settle_s = time.monotonic() - began - report.startup_s - report.load_s
        print("stopping quadra up and the worker (SIGTERM), then the verifiers …", flush=True)
        report.exit_codes = await stack.stop_quadra()
        report.problems += [f"{name} exited {code} on SIGTERM" for name, code in report.exit_codes.items() if code != 0]
        env = stack.quadra_env()
        report.ledger = await asyncio.to_thread(quadra_cli, env, "ledger", "verify", "--clickhouse")
        report.audit = await asyncio.to_thread(quadra_cli, env, "audit", "verify")
        report.audit_kafka = await asyncio.to_thread(quadra_cli, env, "audit", "verify", "--source", "kafka")
        report.spool = [str(p) for p in spool_leftovers(stack.up.data_dir)]
        report.log_errors = _log_errors(stack)
    except BenchError as exc:
        report.problems.append(f"soak could not run: {exc}")
        report.start_failures = stack.start_failures
    finally:
        await hooks.stop()
        await stack.stop_all()
    report.total_s = time.monotonic() - began
    return report


def _log_errors(stack: SoakStack) -> dict[str, int]:
    """Error/traceback lines per log but aiokafka's (a broker outage makes thousands of those):
    faults make some by design, so information, not a verdict."""
    counts: dict[str, int] = {}
    for log in sorted(stack.work.glob("*.log*")):
        with contextlib.suppress(OSError):
            lines = log.read_text(errors="replace").splitlines()
            counts[log.name] = sum(
                1 for line in lines
                if (" ERROR " in line or "Traceback" in line) and " aiokafka" not in line
            )  # fmt: skip
    return counts


def _kinds(text: str) -> tuple[FaultKind, ...]:
    try:
        return tuple(FaultKind[part.strip().upper()] for part in text.split(",") if part.strip())
    except KeyError as exc:
        raise argparse.ArgumentTypeError(f"unknown fault kind {exc}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    p.add_argument("--minutes", type=float, default=30.0, help="how long the load and the faults run")
    p.add_argument("--rate", type=float, default=10.0, help="orders/s over all companies")
    p.add_argument("--companies", type=int, default=4, help="the demo company + N-1 created through the staff API")
    p.add_argument("--seed", type=int, default=1, help="the fault schedule's and the order mix's seed")
    p.add_argument("--gap-min", type=float, default=10.0, help="seconds between faults, at least")
    p.add_argument("--gap-max", type=float, default=40.0, help="seconds between faults, at most")
    p.add_argument("--lead-in", type=float, default=15.0, help="seconds of clean load before the first fault")
    p.add_argument("--quiet-tail", type=float, default=30.0, help="seconds without a new fault at the end")
    p.add_argument("--no-faults", action="store_true", help="the load alone (a baseline for the checks)")
    p.add_argument("--faults", type=_kinds, default=tuple(FaultKind),
                   help="only these kinds, comma-separated: " + ", ".join(k.name.lower() for k in FaultKind))
    p.add_argument("--top-up-every", type=float, default=20.0, help="seconds between staff balance top-ups")
    p.add_argument("--review-every", type=float, default=15.0, help="seconds between the analyst's sweeps of the review queue")
    p.add_argument("--startup-timeout", type=float, default=300.0, help="seconds for a (re)started process before it is killed and tried again")
    p.add_argument("--settle-timeout", type=float, default=900.0, help="seconds for the orders to settle")
    p.add_argument("--webhook-grace", type=float, default=10.0, help="seconds for the last webhooks")
    p.add_argument("--keep", action="store_true", help="keep the work dir also when clean")
    args = p.parse_args(argv)
    if not 0 < args.minutes <= 24 * 60 or not 0 < args.rate <= 1000:
        p.error("--minutes takes (0, 1440], --rate (0, 1000]")
    if not 1 <= args.companies <= 50:
        p.error("--companies takes 1 to 50")
    if not 0 <= args.gap_min <= args.gap_max:
        p.error("--gap-min must be between 0 and --gap-max")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # broker outages make the clients log by design
    work = Path(tempfile.mkdtemp(prefix="quadra-soak-"))
    try:
        report = asyncio.run(run_soak(args, work))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"soak: interrupted; evidence in {work}", file=sys.stderr)
        return 130
    print(summary_table(report), flush=True)
    if report.clean and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"evidence kept in {work}", flush=True)
    return 0 if report.clean else 1
