"""Throughput and latency of the order slice, next to a raw Kafka passthrough on the same broker.

Slice: HTTP POST /v1/orders → API produces to orders.requested → Faust intake agent → replies
and orders.events → the API's feed resolves the request → 201 {"status": "approved"}. Measured from
the POST being sent to the decided response being read, with `concurrency` clients in a closed
loop (each sends its next order when the previous one is answered), against `quadra up` started
as a subprocess on fresh topics (unique prefix) and a fresh data dir.

Baseline: the same shape with nothing but aiokafka: a producer writes ~600-byte JSON messages keyed
by company to a fresh 4-partition input topic, a consumer-group passthrough (consumer + idempotent
producer, commit after the sends are acknowledged) copies them to an output topic, and a group-less
reader of the output resolves each message. Latency is produce → arrival on the output, from the
send timestamp inside the message (one clock: everything runs in this process).

    .venv/bin/python -m bench.slice_throughput --orders 2000 --concurrency 32 [--json PATH]

With QUADRA_KAFKA_BOOTSTRAP set, that broker is used; otherwise the local broker is started (and
stopped again at the end only if this run started it). See bench/README.md.

This module parses the options and runs the phases in order; the rest of bench/ does the work.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.baseline import run_baseline
from bench.broker import Broker, delete_topics_with_prefix, open_broker
from bench.errors import BenchError
from bench.quadra_process import QuadraProcess
from bench.report import RunReport, machine_facts, print_report, write_json
from bench.slice import run_slice
from bench.stats import PhaseResult


async def main_async(args: argparse.Namespace) -> int:
    # SIGTERM unwinds like Ctrl-C, so the `quadra up` we started and our topics are cleaned up.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    machine = machine_facts()
    token = secrets.token_hex(4)
    prefix = f"bench{token}."
    broker = await open_broker(args.allow_remote_broker)
    workdir = Path(tempfile.mkdtemp(prefix=f"quadra-bench-{token}-"))
    code: int | None = None  # stays None when interrupted: nothing worth keeping then
    try:
        code = await _run_all(args, machine, prefix, broker, workdir)
        return code
    finally:
        if args.keep_data or code not in (0, None):
            print(f"quadra log and data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


async def _run_all(
    args: argparse.Namespace, machine: dict[str, Any], prefix: str, broker: Broker, workdir: Path
) -> int:
    phases: list[PhaseResult] = []
    slice_facts: dict[str, Any] = {}
    problems: list[str] = []
    cleanup = ""
    failed = False
    quadra: QuadraProcess | None = None
    try:
        # Baseline first: it runs while no Quadra process competes for the CPU.
        if args.only in (None, "baseline"):
            try:
                phases.append(await run_baseline(args, broker.bootstrap, prefix))
            except Exception as exc:  # noqa: BLE001 - reported, and the slice still runs
                failed = True
                problems.append(f"baseline failed: {exc!r}")
        if args.only in (None, "slice"):
            try:
                result, quadra, slice_facts = await run_slice(
                    args, broker.bootstrap, prefix, workdir
                )
                phases.insert(0, result)
            except BenchError as exc:
                failed = True
                problems.append(f"slice failed: {exc}")
    finally:
        try:
            deleted = await asyncio.wait_for(
                delete_topics_with_prefix(broker.bootstrap, prefix), 60
            )
            cleanup = (
                f"deleted {len(deleted)} topics {prefix}* (consumer groups expire by themselves)"
            )
        except Exception as exc:  # noqa: BLE001
            problems.append(f"could not delete topics {prefix}*: {exc!r}")
        await broker.stop_if_ours()

    if quadra is not None:
        problems.extend(quadra.problems())
    for phase in phases:
        if phase.errors or phase.not_sent:
            problems.append(
                f"{phase.name}: {sum(phase.errors.values())} errors, {phase.not_sent} not sent"
            )

    run = RunReport(args, machine, broker, phases, slice_facts, problems, cleanup)
    print_report(run)
    if args.json:
        path = Path(args.json)
        write_json(run, path)
        print(f"figures written to {path}")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slice_throughput",
        description="Orders/s and latency of the order slice (HTTP → Kafka → intake → "
        "decided), next to a raw aiokafka consume→produce passthrough on the same broker.",
    )
    parser.add_argument(
        "--orders", type=int, default=2000, help="measured orders (and baseline messages)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=50, help="slice warm-up orders")
    parser.add_argument(
        "--baseline-warmup", type=int, default=500, help="baseline warm-up messages"
    )
    parser.add_argument("--message-bytes", type=int, default=600, help="baseline message size")
    parser.add_argument(
        "--baseline-mode", choices=("closed", "stream"), default="closed",
        help="closed: same closed loop as the slice (default); stream: produce all back to back",
    )  # fmt: skip
    parser.add_argument(
        "--client", choices=("httpx", "aiohttp"), default="httpx",
        help="HTTP client for the slice (httpx default; aiohttp costs the client far less CPU)",
    )  # fmt: skip
    parser.add_argument("--op-timeout", type=float, default=20.0, help="seconds per order/message")
    parser.add_argument(
        "--phase-timeout", type=float, default=90.0, help="seconds per measured phase"
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=120.0, help="seconds for quadra up"
    )
    parser.add_argument("--only", choices=("slice", "baseline"), help="run one side only")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep-data", action="store_true", help="keep the temp data dir and log")
    parser.add_argument("--verbose", action="store_true", help="show aiokafka's own log")
    parser.add_argument("--allow-remote-broker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders < 1 or args.concurrency < 1 or args.warmup < 0 or args.baseline_warmup < 1:
        parser.error("--orders, --concurrency and --baseline-warmup must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Fresh topics answer NotLeaderForPartition for a moment; aiokafka retries and logs it.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL if not args.verbose else logging.INFO)
    try:
        return asyncio.run(main_async(args))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
