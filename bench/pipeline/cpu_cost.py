"""CPU per order of the whole pipeline, counted to the end of every order's work.

    python -m bench.pipeline.cpu_cost --orders 600 --rate 40 [--idle 10] [--profile PATH]

The step figures of `bench.pipeline` divide the CPU of a step by the orders decided in it: on
a loaded machine much of an order's work (dispatch, ledger, webhooks, the sink) happens after
its step, and 503s leave work done for orders that are never counted. Here a fixed number of
orders is sent at a rate `quadra up` can keep up with; the CPU time of `quadra up` is read
from the first send until every order is completed, its webhook arrived and every consumer
group of the run has caught up (so the sink's rows are written too), and the idle cost of the
process (timers, consumers' fetches, sink flushes of nothing), measured first over `--idle`
seconds, is subtracted. CPU seconds are what the process used, whatever the load: the figure
is comparable between runs on the shared machine, unlike latencies (the load is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psutil

from bench.broker import open_broker
from bench.order_client import OrderClient
from bench.pipeline.cli import _set_webhook
from bench.pipeline.flow_counts import flow_counts, format_counts
from bench.pipeline.lag import LagSampler
from bench.pipeline.observe import EventWatcher, WebhookReceiver
from bench.pipeline.phases import pipeline_step
from bench.pipeline.profile import record, summary
from bench.pipeline.stack import up_process
from bench.pipeline.unit_costs import cpu_s
from bench.slice import _first_approved
from streams.topics import ORDERS_EVENTS, ORDERS_REQUESTED, TopicNames

# A transactional topic keeps ~1 per partition of lag when caught up (the commit marker).
CAUGHT_UP = 8


def _completed(watcher: EventWatcher) -> int:
    return sum(1 for statuses in watcher.seen.values() if "completed" in statuses)


async def _caught_up(lag: LagSampler, timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    lags: dict[str, int] = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            lags = await lag.sample()
            if lags and all(v <= CAUGHT_UP for v in lags.values()):
                return lags
        await asyncio.sleep(0.5)
    return lags


async def main_async(args: argparse.Namespace) -> int:
    token = secrets.token_hex(4)
    prefix = f"pipe{token}."
    broker = await open_broker(False)
    workdir = Path(tempfile.mkdtemp(prefix=f"quadra-cost-{token}-"))
    up = up_process(broker.bootstrap, prefix, workdir)
    watcher = EventWatcher(broker.bootstrap, TopicNames(prefix)(ORDERS_EVENTS))
    hooks = WebhookReceiver()
    lag = LagSampler(broker.bootstrap, prefix)
    up.start()
    try:
        api_key = await up.wait_ready(180)
        proc = psutil.Process(up.proc.pid)  # type: ignore[union-attr]
        run_id = prefix.rstrip(".")
        async with OrderClient("aiohttp", up.url, api_key, 1000, 30) as client:
            await _first_approved(client, up, run_id, 180)  # type: ignore[arg-type]
            await hooks.start()
            await _set_webhook(up.url, api_key, hooks.url)
            await watcher.start()
            await lag.connect()
            await pipeline_step(client, f"{run_id}-warm", args.rate, 5, 1000, 60, watcher, hooks)
            await _caught_up(lag, 60)
            await asyncio.sleep(2)
            idle0, t0 = cpu_s(proc), time.perf_counter()
            await asyncio.sleep(args.idle)
            idle_per_s = (cpu_s(proc) - idle0) / (time.perf_counter() - t0)

            spy = None
            if args.profile:
                spy = await record(proc.pid, args.orders / args.rate, Path(args.profile))
            load0 = os.getloadavg()[0]
            done_before = _completed(watcher)
            cpu0, t0 = cpu_s(proc), time.perf_counter()
            step = await pipeline_step(
                client, run_id, args.rate, args.orders / args.rate, 1000, args.drain, watcher, hooks
            )
            lags = await _caught_up(lag, args.drain)
            cpu1, t1 = cpu_s(proc), time.perf_counter()
            # Orders whose POST got a 503 (intake's answer came too late) are still decided and
            # paid when intake gets to them: their work is in the CPU, so they are counted.
            all_completed = _completed(watcher) - done_before
            load1 = os.getloadavg()[0]
            if spy is not None:
                await asyncio.wait_for(spy.wait(), 60)
            counts = await flow_counts(broker.bootstrap, prefix) if args.counts else None
    finally:
        with contextlib.suppress(Exception):
            await lag.stop()
        await watcher.stop()
        await hooks.stop()
        await up.stop()
        await broker.stop_if_ours()  # a broker this run started does not outlive it
    span = t1 - t0
    used, idle = cpu1 - cpu0, idle_per_s * span
    decided = sum(1 for s in step.sends if s.status)
    completed = all_completed
    print(f"bench.pipeline.cpu_cost  orders {args.orders} at {args.rate:g}/s  nproc {os.cpu_count()}  "
          f"load {load0:.1f} → {load1:.1f}")  # fmt: skip
    print(f"  sent {step.loop.sent}  decided {decided}  completed {completed} (answered 201: "
          f"{len(step.completed_at)})  webhooks "
          f"{len(step.webhook_at)}  errors {dict(step.errors)}  final {dict(step.final_status)}")  # fmt: skip
    print(f"  quadra up: idle {idle_per_s * 1000:.0f} ms CPU/s; {used:.2f} s CPU in {span:.1f} s "
          f"(first send → all completed, groups caught up: {lags})")  # fmt: skip
    if completed:
        print(f"  CPU per completed order: {used / completed * 1000:.1f} ms, "
              f"{(used - idle) / completed * 1000:.1f} ms without the idle cost")  # fmt: skip
    if args.profile:
        print(summary(Path(args.profile)))
    if counts is not None:
        # Every order of the run, the warm-up's and the start-up probe's too, is in the topics.
        orders = next((t.records for t in counts.topics if t.topic == ORDERS_REQUESTED.name), 0)
        print(f"  Kafka and HTTP per order ({orders} orders in the run's topics):")
        print(format_counts(counts, max(orders, 1)))
        Path(args.counts).write_bytes(orjson.dumps({"orders": orders, **counts.as_json()}))
    return 0 if completed == args.orders else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured first")
    parser.add_argument("--drain", type=float, default=90.0, help="seconds to wait for the last orders")
    parser.add_argument("--profile", default="", help="py-spy raw stacks of the load to this file")
    parser.add_argument("--counts", default="", help="count records per topic and HTTP calls per order "
                        "after the run, print them and write them to this JSON file (bench.pipeline.floor reads it)")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
