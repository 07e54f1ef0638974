"""Options and the run: baselines, then `quadra up` (+ a second worker) at each rate, report."""

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
from typing import Any

import httpx
import orjson

from bench.baseline import Baseline
from bench.broker import Broker, delete_topics_with_prefix, open_broker
from bench.closed_loop import closed_loop
from bench.errors import BenchError
from bench.order_client import OrderClient
from bench.pipeline.companies import extra_companies, partition_of
from bench.pipeline.lag import LagSampler
from bench.pipeline.observe import EventWatcher, WebhookReceiver
from bench.pipeline.phases import Step, echo_step, kafka_step, pipeline_step
from bench.pipeline.procs import ProcSampler
from bench.pipeline.profile import record, summary
from bench.pipeline.report import print_report
from bench.pipeline.stack import (
    Subprocess, echo_server, second_worker, up_process, wait_http, wait_rebalanced,
)  # fmt: skip
from bench.pipeline.summary import rate_block
from bench.report import machine_facts
from bench.slice import _first_approved
from streams.topics import ORDERS_EVENTS, TopicNames


async def _baselines(
    args: argparse.Namespace, broker: Broker, prefix: str, workdir: Path, procs: ProcSampler,
    steps: dict[float, dict[str, Step]],
) -> None:  # fmt: skip
    if "kafka" in args.baselines:
        baseline = Baseline(broker.bootstrap, prefix, args.message_bytes, args.op_timeout)
        await baseline.start()
        try:
            warm = await closed_loop(200, 16, lambda i: baseline.one(f"w{i}"), 30, args.op_timeout)
            if not warm.latencies:
                raise BenchError(f"kafka baseline warm-up got nothing through: {dict(warm.errors)}")
            for rate in args.rates:
                steps[rate]["kafka passthrough"] = await kafka_step(
                    baseline, rate, args.duration, args.max_in_flight, args.drain
                )
        finally:
            await baseline.stop()
    if "http" in args.baselines:
        echo, url = echo_server(workdir)
        echo.start()
        try:
            await wait_http(url, echo, 30)
            procs.watch("echo", echo.pid)
            async with OrderClient(args.client, url, "echo", args.max_in_flight, args.op_timeout) as client:
                await echo_step(client, "warm", min(args.rates), 2, args.max_in_flight, args.drain)
                for rate in args.rates:
                    steps[rate]["http echo"] = await echo_step(
                        client, "echo", rate, args.duration, args.max_in_flight, args.drain
                    )
        finally:
            await echo.stop()


async def _set_webhook(url: str, api_key: str, hook_url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
        response = await client.put(
            "/v1/webhook-endpoint",
            headers={"Authorization": f"Bearer {api_key}"},
            json={"url": hook_url, "event_types": ["order.completed", "order.failed"]},
        )
        if response.status_code not in (200, 201):
            raise BenchError(f"PUT /v1/webhook-endpoint: {response.status_code} {response.text[:200]}")


async def _wait_banner(proc: Subprocess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while "Quadra is running" not in proc.log_tail(200):
        if not proc.running():
            raise BenchError(f"{proc.name} exited:\n{proc.log_tail()}")
        if time.monotonic() > deadline:
            raise BenchError(f"{proc.name} not running after {timeout_s:.0f} s:\n{proc.log_tail()}")
        await asyncio.sleep(0.2)


async def _pipeline(
    args: argparse.Namespace, broker: Broker, prefix: str, workdir: Path, procs: ProcSampler,
    steps: dict[float, dict[str, Step]], facts: dict[str, Any], problems: list[str],
) -> LagSampler:  # fmt: skip
    up = up_process(broker.bootstrap, prefix, workdir)
    worker2: Subprocess | None = None
    watcher = EventWatcher(broker.bootstrap, TopicNames(prefix)(ORDERS_EVENTS))
    hooks = WebhookReceiver()
    lag = LagSampler(broker.bootstrap, prefix, args.lag_interval)
    up.start()
    try:
        api_key = await up.wait_ready(args.startup_timeout)
        procs.watch("quadra up", up.proc.pid)  # type: ignore[union-attr]
        facts["healthz_after_s"] = round(time.perf_counter() - up.spawned_at, 1)
        if args.workers == 2:
            worker2 = second_worker(up, workdir)
            worker2.start()
            await _wait_banner(worker2, args.startup_timeout)
            procs.watch("worker2", worker2.pid)
        run_id = prefix.rstrip(".")
        async with OrderClient(args.client, up.url, api_key, args.max_in_flight, args.op_timeout) as client:
            first = await _first_approved(client, up, run_id, args.startup_timeout)  # type: ignore[arg-type]
            facts["first_approved_after_s"] = round(time.perf_counter() - up.spawned_at, 1)
            if first:
                facts["first_order_errors"] = dict(first)
            await hooks.start()
            await _set_webhook(up.url, api_key, hooks.url)
            extra = await extra_companies(up, args.companies - 1, hooks.url)
            keys: list[str | None] = [None, *(c.api_key for c in extra)]
            facts["companies"] = {
                c: partition_of(c, args.partitions) for c in ["cmp_demo", *(c.company_id for c in extra)]
            }
            await watcher.start()
            await lag.connect()
            if worker2 is not None:  # measure after the rebalance the second process causes
                facts["rebalanced_after_s"] = round(
                    await wait_rebalanced(worker2, up.log_path, 4.0, args.startup_timeout), 1
                )
            lag.start()
            warm = await pipeline_step(
                client, f"{run_id}-warm", min(args.rates), args.warmup, args.max_in_flight,
                args.drain, watcher, hooks, keys,
            )  # fmt: skip
            facts["warmup"] = {"sent": warm.loop.sent, "completed": len(warm.completed_at),
                               "errors": dict(warm.errors)}  # fmt: skip
            for rate in args.rates:
                spy = None
                if args.profile == rate:
                    out = Path(args.profile_out or f"profile-{rate:g}.txt")
                    spy = await record(up.proc.pid, args.duration, out)  # type: ignore[union-attr]
                    facts["profile"] = str(out) if spy is not None else "py-spy not installed"
                steps[rate]["pipeline"] = await pipeline_step(
                    client, run_id, rate, args.duration, args.max_in_flight, args.drain,
                    watcher, hooks, keys,
                )  # fmt: skip
                if spy is not None:
                    await asyncio.wait_for(spy.wait(), 60)
            facts["webhook_deliveries"] = hooks.deliveries
            facts["events_seen"] = watcher.events
    finally:
        await lag.stop()
        await watcher.stop()
        await hooks.stop()
        if worker2 is not None:
            await worker2.stop()
            problems.extend(worker2.problems())
            facts["worker2_exit"] = worker2.exit_code
        await up.stop()
        problems.extend(up.problems())
        facts["up_exit"] = up.exit_code
        facts["up_stop_s"] = up.stop_s
    return lag


async def main_async(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    machine = machine_facts()
    token = secrets.token_hex(4)
    prefix = f"pipe{token}."
    broker = await open_broker(args.allow_remote_broker)
    workdir = Path(tempfile.mkdtemp(prefix=f"quadra-pipe-{token}-"))
    procs = ProcSampler(args.proc_interval)
    if broker.local is not None:
        with contextlib.suppress(Exception):
            pid = broker.local.status().pid
            if pid:
                procs.watch("broker", pid)
    procs.start()
    steps: dict[float, dict[str, Step]] = {rate: {} for rate in args.rates}
    facts: dict[str, Any] = {}
    problems: list[str] = []
    lag: LagSampler | None = None
    failed = False
    try:
        await _baselines(args, broker, prefix, workdir, procs, steps)
        if not args.skip_pipeline:
            lag = await _pipeline(args, broker, prefix, workdir, procs, steps, facts, problems)
    except Exception as exc:  # noqa: BLE001 - what was measured is still reported
        failed = True
        problems.append(str(exc) if isinstance(exc, BenchError) else f"bench failed: {exc!r}")
    finally:
        await procs.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_topics_with_prefix(broker.bootstrap, prefix), 60)
        await broker.stop_if_ours()
    doc = {
        "setting": {
            "rates": args.rates, "duration_s": args.duration, "workers": args.workers,
            "client": args.client, "companies": args.companies, "max_in_flight": args.max_in_flight, "warmup_s": args.warmup,
            "baselines": sorted(args.baselines), "prefix": prefix, "bootstrap": broker.bootstrap,
        },  # fmt: skip
        "machine": machine,
        "facts": facts,
        "steps": [rate_block(rate, steps[rate], procs, lag) for rate in args.rates if steps[rate]],
        "problems": problems,
    }
    print_report(doc)
    profile = facts.get("profile")
    if profile and Path(profile).exists():
        print("\n" + summary(Path(profile)))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
        print(f"figures written to {args.json}")
    if failed or args.keep_data:
        print(f"logs and data kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def _rates(text: str) -> list[float]:
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or any(r <= 0 or r > 20_000 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive numbers up to 20000, comma-separated")
    return rates


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description="Open-loop load at fixed rates through the REST API with every stage live, "
        "next to a bare FastAPI echo and an aiokafka passthrough (bench/README.md).",
    )
    p.add_argument("--rates", type=_rates, default=[50.0, 100.0, 200.0, 500.0], help="orders/s, e.g. 50,100,200,500")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per rate step")
    p.add_argument("--workers", type=int, choices=(1, 2), default=1, help="worker processes (2: quadra up + quadra worker)")
    p.add_argument("--companies", type=int, default=1, help="companies the orders go to in turn (the demo one + N-1 new)")
    p.add_argument("--partitions", type=int, default=4, help=argparse.SUPPRESS)  # QUADRA_KAFKA_PARTITIONS' default
    p.add_argument("--warmup", type=float, default=5.0, help="pipeline warm-up seconds at the lowest rate")
    p.add_argument("--drain", type=float, default=15.0, help="seconds to wait for answers/completions after a step")
    p.add_argument("--max-in-flight", type=int, default=1000, help="sends waiting at once; more are dropped")
    p.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp", help="HTTP client (aiohttp: cheaper)")
    p.add_argument("--baselines", default="kafka,http", help="which baselines: kafka,http (or 'none')")
    p.add_argument("--skip-pipeline", action="store_true", help="baselines only")
    p.add_argument("--message-bytes", type=int, default=600, help="kafka baseline message size")
    p.add_argument("--op-timeout", type=float, default=20.0, help="seconds per request")
    p.add_argument("--startup-timeout", type=float, default=120.0, help="seconds for quadra up")
    p.add_argument("--lag-interval", type=float, default=1.0, help="seconds between lag samples")
    p.add_argument("--proc-interval", type=float, default=0.5, help="seconds between CPU/RSS samples")
    p.add_argument("--profile", type=float, metavar="RATE", help="py-spy record quadra up during this rate's step")
    p.add_argument("--profile-out", metavar="PATH", help="where the raw py-spy stacks go (profile-RATE.txt)")
    p.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    p.add_argument("--plot", metavar="PNG", help="also plot latency vs rate (needs matplotlib)")
    p.add_argument("--keep-data", action="store_true", help="keep logs and data dirs")
    p.add_argument("--allow-remote-broker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.baselines = {b.strip() for b in args.baselines.split(",")} - {"none", ""}
    if args.baselines - {"kafka", "http"}:
        p.error("--baselines takes kafka, http or none")
    if not 1 <= args.companies <= 100:
        p.error("--companies takes 1 to 100")
    if args.duration <= 0 or args.max_in_flight < 1 or args.warmup < 0:
        p.error("--duration and --max-in-flight must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        code = asyncio.run(main_async(args))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted", file=sys.stderr)
        return 130
    if args.plot and args.json:
        from bench.pipeline.plot import plot_file

        plot_file(Path(args.json), Path(args.plot))
        print(f"plot written to {args.plot}")
    return code
