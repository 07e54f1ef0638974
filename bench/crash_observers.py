"""What the crash bench asks of the observers outside the workers, which are never killed:
the provider sandbox (it counts every payout) and ClickHouse fed by the real sink (every
company's statements must reconcile with the books read from Kafka)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.reconcile import ReconcileReport, reconcile_statements
from bench.quadra_process import free_port
from quadra.runtime import sink_routes
from streams.ledger_reader import LedgerSnapshot, read_ledger
from streams.sink import Sink, SinkConfig
from streams.topics import LEDGER_ENTRIES, TopicNames

REPO = Path(__file__).resolve().parents[1]


async def reconcile_through_sink(
    bootstrap: str, names: TopicNames, clickhouse: ClickHouse, timeout: float = 120.0
) -> ReconcileReport:
    """The real sink's ledger route copies `ledger.entries` into `clickhouse` (migrated here)
    until it has everything `quadra ledger verify` reads (workers stopped: nothing new comes);
    then the statements of every company and currency must match those books."""
    await asyncio.to_thread(migrate, clickhouse)
    snapshot = await read_ledger(bootstrap, names)
    routes = [r for r in sink_routes(names) if r.topic == names(LEDGER_ENTRIES)]
    config = SinkConfig(bootstrap, f"{names.prefix}crash-statements-{clickhouse.database}",
                        batch_rows=5000, flush_interval_s=0.2)  # fmt: skip
    sink = Sink(config, clickhouse, routes)
    await sink.start()
    task = asyncio.create_task(sink.run(), name="sink")
    deadline = time.monotonic() + timeout
    try:
        while sink.written_messages + sink.skipped_messages < len(snapshot.entries):
            if task.done() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    finally:
        await sink.stop()
        await task
    report = await reconcile_statements(clickhouse, snapshot.entries, snapshot.books)
    if sink.skipped_messages:
        report.problems.append(f"the sink skipped {sink.skipped_messages} ledger entries")
    if sink.written_messages < len(snapshot.entries):
        report.problems.append(
            f"the sink wrote {sink.written_messages} of {len(snapshot.entries)} ledger entries in {timeout:.0f} s"
        )
    return report


def start_sandbox(workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """The provider sandbox as its own process: it is never killed, it counts every payout."""
    port = free_port()
    log = (workdir / "sandbox.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "quadra.cli", "sandbox", "--port", str(port)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/_control/stats", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the provider sandbox did not start")


def paid_once(url: str, snapshot: LedgerSnapshot) -> list[str]:
    """The sandbox paid each completed order exactly once, and nothing else."""
    executions = httpx.get(f"{url}/_control/stats", timeout=10).json()["executions"]
    counts: dict[str, int] = {}
    for per_order in executions.values():
        for order_id, count in per_order.items():
            counts[order_id] = counts.get(order_id, 0) + count
    problems = [f"order {oid} paid {n} times by the sandbox" for oid, n in counts.items() if n > 1]
    completed = {oid for oid, s in snapshot.statuses.items() if s.value == "completed"}
    if set(counts) != completed:
        problems.append(
            f"sandbox paid {len(counts)} orders, {len(completed)} completed "
            f"({len(set(counts) - completed)} paid but not completed, "
            f"{len(completed - set(counts))} completed but not paid)"
        )
    return problems
