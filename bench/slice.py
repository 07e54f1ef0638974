"""The slice phase: orders over HTTP to `quadra up`, from the POST to the decided response."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.closed_loop import closed_loop
from bench.errors import BenchError, Failed
from bench.order_client import OrderClient
from bench.quadra_process import QuadraProcess, free_port
from bench.stats import CpuSample, PhaseResult


async def _first_approved(
    client: OrderClient, quadra: QuadraProcess, run_id: str, timeout_s: float
) -> Counter[str]:
    """Send one order at a time until one is approved; the errors seen on the way.

    The worker may still be joining its consumer group when /healthz first answers.
    """
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + timeout_s
    attempt = 0
    while True:
        try:
            await client.place(attempt, f"{run_id}-first")
            return errors
        except Failed as exc:
            errors[str(exc)] += 1
            if time.monotonic() > deadline or not quadra.running():
                raise BenchError(
                    f"no order approved within {timeout_s:.0f} s: "
                    f"{dict(errors)}\n" + quadra.log_tail()
                ) from None
            attempt += 1
            await asyncio.sleep(0.5)


async def run_slice(
    args: argparse.Namespace, bootstrap: str, prefix: str, workdir: Path
) -> tuple[PhaseResult, QuadraProcess, dict[str, Any]]:
    """The measured slice phase, the `quadra up` it ran against (stopped) and facts about it."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    quadra = QuadraProcess(bootstrap, prefix, data_dir, free_port())
    facts: dict[str, Any] = {}
    quadra.start()
    try:
        api_key = await quadra.wait_ready(args.startup_timeout)
        facts["healthz_after_s"] = round(time.perf_counter() - quadra.spawned_at, 2)
        run_id = prefix.rstrip(".")
        async with OrderClient(
            args.client, quadra.url, api_key, args.concurrency, args.op_timeout
        ) as client:
            first_errors = await _first_approved(client, quadra, run_id, args.startup_timeout)
            facts["first_approved_after_s"] = round(time.perf_counter() - quadra.spawned_at, 2)
            if first_errors:
                facts["first_order_errors"] = dict(first_errors)

            warm = await closed_loop(
                args.warmup, args.concurrency, lambda i: client.place(i, f"{run_id}-warm"),
                args.phase_timeout, args.op_timeout,
            )  # fmt: skip
            if warm.errors:
                facts["warmup_errors"] = dict(warm.errors)

            cpu0 = CpuSample.take(quadra.cpu_s())
            loop = await closed_loop(
                args.orders, args.concurrency, lambda i: client.place(i, f"{run_id}-m"),
                args.phase_timeout, args.op_timeout,
            )  # fmt: skip
            cpu1 = CpuSample.take(quadra.cpu_s())
        result = PhaseResult.from_loop(
            "slice",
            f"closed loop, {args.concurrency} in flight, HTTP POST → decided response "
            f"({args.client} client)",
            args.orders,
            loop,
        )
        result.record_cpu(
            cpu0, cpu1, f"bench process ({args.client} client)",
            "quadra up process (api + worker + sink)",
        )  # fmt: skip
        return result, quadra, facts
    finally:
        await quadra.stop()
        facts["stop_s"] = round(quadra.stop_s, 2) if quadra.stop_s is not None else None
        facts["exit_code"] = quadra.exit_code
        facts["killed_after_grace"] = quadra.killed
