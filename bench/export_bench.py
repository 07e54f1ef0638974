"""Export benchmark: a million orders to CSV with flat memory, next to the raw query.

    .venv/bin/python -m bench.export_bench [--rows 1000000] [--dir /tmp/qeb] [--xlsx] [--json out.json]

Generates `--rows` orders server-side (`INSERT … SELECT … FROM numbers(n)`, several inserts so
FINAL has parts to merge) into an embedded ClickHouse, then measures in one process:

- baseline: the same rows and columns selected raw (`FINAL`, sort-key order) and streamed into
  nothing with clickhouse-connect's block stream: what reading alone costs;
- export: the CSV export as the API serves it (keyset chunks formatted by ClickHouse →
  csv_stream) written to a file;
- optionally the XLSX file the background jobs write.

Times are wall-clock and process CPU (all threads, the engine's included): on a shared
machine the CPU figure is the steadier one, and `cpu_wait_s` is the time the process's
threads spent ready to run but waiting for a core (Linux schedstat, summed over threads, so
it can exceed the wall time; threads that exit meanwhile are not counted): the part of the
wall time the machine's load, not the export, is to blame for. Memory: resident set size
sampled after every chunk (min/max over the export) and the process's peak (getrusage). The
embedded engine's own caches sit in the same process, so the flatness across the export is
the figure that matters, not the absolute size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.export_output import ExportFormat, csv_stream, write_export
from analytics.reports.export_rows import CHUNK_ROWS, ClickHouseExportRows, ExportRow
from analytics.reports.filters import TransactionFilter

DATABASE = "export_bench"
GENERATE = """
INSERT INTO {table} (order_id, company_id, product_id, product_type, provider, amount_value,
    fee_value, currency, status, status_reason, recipient_kind, card_last4, end_user_id,
    external_id, sandbox, created_at, updated_at, version)
SELECT
    concat('ord_', lower(hex(MD5(toString(number))))),
    concat('cmp_', leftPad(toString(number % 200), 6, '0')),
    ['card-transfer-eur', 'virtual-card-usd', 'gift-jpy', 'topup-kwd'][number % 4 + 1],
    ['card_transfer', 'virtual_card', 'gift_certificate', 'mobile_topup'][number % 4 + 1],
    ['bank_a', 'bank_b', 'cards_co', 'gifts_co'][number % 4 + 1],
    100 + (number * 7919) % 500000,
    (number * 13) % 1000,
    ['EUR', 'USD', 'JPY', 'KWD'][number % 4 + 1],
    ['completed', 'completed', 'completed', 'failed', 'rejected', 'dispatched'][number % 6 + 1],
    if(number % 6 = 3, 'provider said: "card expired", code 54', ''),
    'card', leftPad(toString(number % 10000), 4, '0'),
    if(number % 97 = 0, concat('=cmd|', toString(number)), concat('user-', toString(number % 50000))),
    concat('ext-', toString(number)),
    1,
    toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 2591),
    toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 2591 + 60000),
    3
FROM numbers({start:UInt64}, {count:UInt64})
"""
RAW_COLUMNS = (
    "order_id, company_id, created_at, updated_at, status, status_reason, product_id, "
    "product_type, provider, amount_value, fee_value, currency, end_user_id, card_last4, external_id"
)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def cpu_wait_s() -> float:
    """Seconds the live threads of this process have spent runnable, waiting for a CPU."""
    total = 0
    for stat in Path("/proc/self/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[1])
        except (OSError, IndexError, ValueError):  # the thread exited while we looked
            continue
    return total / 1e9


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(ch: ClickHouse, rows: int, batches: int = 4) -> float:
    started = time.perf_counter()
    ch.command_sync(f"TRUNCATE TABLE IF EXISTS {ch.table('orders')}")
    step = -(-rows // batches)
    for start in range(0, rows, step):
        ch._client.command(  # noqa: SLF001 — the bench drives the client directly
            GENERATE.replace("{table}", ch.table("orders")),
            parameters={"start": start, "count": min(step, rows - start)},
        )
    return time.perf_counter() - started


def baseline(ch: ClickHouse) -> dict[str, Any]:
    started, cpu, wait, count = time.perf_counter(), time.process_time(), cpu_wait_s(), 0
    sql = f"SELECT {RAW_COLUMNS} FROM {ch.table('orders')} FINAL ORDER BY company_id, created_at, order_id"
    with ch._client.query_row_block_stream(sql) as stream:  # noqa: SLF001
        for block in stream:
            count += len(block)
    seconds = time.perf_counter() - started
    return {
        "rows": count, "seconds": round(seconds, 2), "cpu_s": round(time.process_time() - cpu, 2),
        "cpu_wait_s": round(cpu_wait_s() - wait, 2), "rows_per_s": round(count / seconds),
    }  # fmt: skip


class Sampled:
    """The export source, with the RSS after each chunk."""

    def __init__(self, rows: ClickHouseExportRows) -> None:
        self._rows = rows
        self.samples: list[float] = []

    async def count(self, f: TransactionFilter) -> int:
        return await self._rows.count(f)

    async def chunks(self, f: TransactionFilter) -> AsyncIterator[list[ExportRow]]:
        async for chunk in self._rows.chunks(f):
            yield chunk
            self.samples.append(rss_mb())

    async def csv_chunks(self, f: TransactionFilter) -> AsyncIterator[tuple[int, bytes]]:
        async for chunk in self._rows.csv_chunks(f):
            yield chunk
            self.samples.append(rss_mb())


def _memory(samples: list[float]) -> dict[str, float]:
    return {
        "rss_first_chunk_mb": round(samples[0]),
        "rss_min_mb": round(min(samples)),
        "rss_max_mb": round(max(samples)),
        "rss_last_mb": round(samples[-1]),
    }


async def export_csv(ch: ClickHouse, out: Path, chunk_rows: int) -> dict[str, Any]:
    sampled = Sampled(ClickHouseExportRows(ch, chunk_rows))
    started, cpu, wait, size = time.perf_counter(), time.process_time(), cpu_wait_s(), 0
    with out.open("wb") as f:
        async for block in csv_stream(sampled, TransactionFilter()):
            f.write(block)
            size += len(block)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2), "cpu_s": round(time.process_time() - cpu, 2),
        "cpu_wait_s": round(cpu_wait_s() - wait, 2), "bytes": size,
        "chunks": len(sampled.samples), **_memory(sampled.samples),
    }  # fmt: skip


async def export_xlsx(ch: ClickHouse, out: Path, chunk_rows: int) -> dict[str, Any]:
    sampled = Sampled(ClickHouseExportRows(ch, chunk_rows))
    started, cpu = time.perf_counter(), time.process_time()
    rows = await write_export(ExportFormat.XLSX, sampled, TransactionFilter(), out)
    seconds = time.perf_counter() - started
    return {
        "rows": rows, "seconds": round(seconds, 2), "cpu_s": round(time.process_time() - cpu, 2),
        "rows_per_s": round(rows / seconds),
        "bytes": out.stat().st_size, **_memory(sampled.samples),
    }  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(args.dir or tempfile.mkdtemp(prefix="quadra-export-bench-"))
    ch = ClickHouse.connect(f"chdb:///{(directory / 'clickhouse').resolve()}", DATABASE)
    try:
        migrate(ch)
        result: dict[str, Any] = {"rows": args.rows, "chunk_rows": args.chunk_rows}
        result["rss_after_connect_mb"] = round(rss_mb())
        result["generate_s"] = round(generate(ch, args.rows), 2)
        total = await ClickHouseExportRows(ch).count(TransactionFilter())
        assert total == args.rows, (total, args.rows)
        result["rss_before_baseline_mb"] = round(rss_mb())
        result["baseline"] = baseline(ch)
        result["rss_after_baseline_mb"] = round(rss_mb())
        result["peak_rss_after_baseline_mb"] = round(peak_rss_mb())
        result["csv"] = await export_csv(ch, directory / "transactions.csv", args.chunk_rows)
        result["csv"]["rows"] = total
        result["csv"]["rows_per_s"] = round(total / result["csv"]["seconds"])
        result["peak_rss_after_csv_mb"] = round(peak_rss_mb())
        if args.xlsx:
            result["xlsx"] = await export_xlsx(ch, directory / "transactions.xlsx", args.chunk_rows)
            result["peak_rss_after_xlsx_mb"] = round(peak_rss_mb())
        return result
    finally:
        ch.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--dir", help="data dir (default: a fresh temporary one)")
    parser.add_argument("--xlsx", action="store_true", help="also time the XLSX file")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
