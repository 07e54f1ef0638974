"""`python -m bench.back_office_queries`: server time of the back-office pages that missed the
300 ms target (issue 7) through their use cases, straight on a bench.ui_pages data dir: the
review queue and cases list, the request log (no filter, one company's day, searches across
companies) and the largest company's transactions by card last 4.

    cp -r /tmp/qrb-ui /tmp/qrb-pageperf     # never on the original: this bench migrates its copy
    python -m bench.back_office_queries --dir /tmp/qrb-pageperf [--before]

The machine is shared: each figure comes with its p95 over a fixed CPU-bound query's p50
(×base), which moves less with the load than milliseconds do. `--before` also times the
straightforward queries those pages ran before migration 0011 (a few reps: seconds each)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.fraud_cases_repo import ClickHouseCases
from analytics.fraud_repo import ClickHouseFraudReads
from analytics.migrate import migrate
from analytics.reports.aggregates import ClickHouseAggregates
from analytics.reports.filters import TransactionFilter
from analytics.reports.request_log import ClickHouseRequestLog, RequestLogQuery
from analytics.reports.statements import ClickHouseStatements
from analytics.reports.transactions import ClickHouseTransactions, Sort
from api.staff.fraud_service import FraudDesk
from api.staff.report_service import ReportService
from bench.report import machine_facts
from bench.stats import percentile
from domain.fraud_views import CaseQuery, QueueQuery

DATABASE = "quadra"
TARGET_MS = 300
BASELINE_SQL = "SELECT sum(number % 7) FROM numbers(3000000)"  # fixed CPU work, a few ms
Timed = Callable[[], Awaitable[Any]]


async def _time(run: Timed, reps: int, warmup: int) -> tuple[list[float], int]:
    samples, size = [], 0
    for k in range(warmup + reps):
        t0 = time.perf_counter()
        result = await run()
        if k >= warmup:
            samples.append((time.perf_counter() - t0) * 1000)
        size = _size(result)
    return sorted(samples), size


def _size(result: Any) -> int:
    """Rows on the page: the first list found in what a use case returns."""
    if isinstance(result, list):
        return len(result)
    if isinstance(result, tuple) and result:
        return _size(result[0])
    items = getattr(result, "items", None)
    return len(items) if isinstance(items, list) else 0


def cases(ch: ClickHouse, ids: dict[str, str], end: datetime) -> list[tuple[str, Timed]]:
    """What each page's handler awaits (ReportService, FraudDesk), as the pages call them."""
    fraud_reads = ClickHouseFraudReads(ch)
    # The queue and cases list only read: the desk's other ports are never called here.
    desk = FraudDesk(fraud_reads, ClickHouseCases(ch), None, None, None, None, None)  # type: ignore[arg-type]
    reports = ReportService(ClickHouseTransactions(ch), ClickHouseAggregates(ch), ClickHouseStatements(ch),
                            ClickHouseRequestLog(ch))  # fmt: skip
    big = ids["largest_company"]
    day, month = end - timedelta(days=1), end - timedelta(days=30)
    card = TransactionFilter(company_ids=(big,), card_last4=ids["card_last4"], created_from=month, created_to=end)
    transactions = ClickHouseTransactions(ch)

    def log(**q: Any) -> Timed:
        return lambda: reports.request_log(RequestLogQuery(**q), None, 50)

    return [
        ("review queue", lambda: desk.queue(QueueQuery(), None, 50)),
        ("review queue: largest company", lambda: desk.queue(QueueQuery(company_id=big), None, 50)),
        ("review queue: one assignee", lambda: desk.queue(QueueQuery(assignee="stf_bench"), None, 50)),
        ("cases", lambda: desk.cases(CaseQuery(), None, 50)),
        ("request log: no filter", log()),
        ("request log: largest company, last day", log(company_id=big, at_from=day, at_to=end)),
        ("request log: correlation id", log(correlation_id=ids["order_id"])),
        ("request log: path prefix /v1/orders", log(path_prefix="/v1/orders")),
        ("request log: status 502", log(status=502)),
        ("request log: outbound, last day", log(direction="outbound", at_from=day, at_to=end)),
        ("transactions: largest company, card last 4", lambda: reports.transactions(card, Sort(), None, 50)),
        ("  its page", lambda: transactions.page(card, limit=50)),
        ("  its totals", lambda: transactions.totals(card)),
    ]


def before(ch: ClickHouse, ids: dict[str, str], end: datetime) -> list[tuple[str, Timed]]:
    """The straightforward queries these pages ran before migration 0011."""
    orders, log = ch.table("orders"), ch.table("request_log")
    queued = ("order_id, company_id, created_at, amount_value, currency, product_id, end_user_id, "
              "external_id, status_reason")  # fmt: skip
    reads = ClickHouseFraudReads(ch)

    async def queue_page() -> list[Any]:
        rows = await ch.query(f"SELECT {queued} FROM {orders} FINAL WHERE status = 'in_review' "
                              "ORDER BY created_at, order_id LIMIT 51")  # fmt: skip
        ids_ = [r[0] for r in rows[:50]]
        await reads.decisions(ids_)  # by id: the bloom filter alone
        await reads.assignees(ids_)
        return rows

    def log_query(where: str = "", params: dict[str, Any] | None = None) -> Timed:
        return lambda: ch.query(f"SELECT * FROM {log} FINAL {where} ORDER BY at DESC, request_id DESC LIMIT 51",
                                params or {})  # fmt: skip

    transactions = ClickHouseTransactions(ch)
    card = TransactionFilter(company_ids=(ids["largest_company"],), card_last4=ids["card_last4"],
                             created_from=end - timedelta(days=30), created_to=end)  # fmt: skip
    return [
        ("BEFORE review queue (orders FINAL, decisions by id)", queue_page),
        ("BEFORE request log: no filter", log_query()),
        ("BEFORE request log: correlation id", log_query("WHERE correlation_id = {c:String}", {"c": ids["order_id"]})),
        ("BEFORE request log: status 502", log_query("WHERE status = 502")),
        ("BEFORE transactions card totals (orders FINAL)", lambda: transactions.totals(card, live=True)),
    ]


async def measure(ch: ClickHouse, timed: list[tuple[str, Timed]], reps: int, warmup: int) -> list[dict[str, Any]]:
    base_samples, _ = await _time(lambda: ch.query(BASELINE_SQL), max(reps, 10), warmup)
    base = max(percentile(base_samples, 0.5), 0.01)
    print(f"{'page / query':54} {'p50 ms':>8} {'p95 ms':>8} {'×base':>7} {'rows':>5}  < {TARGET_MS} ms")
    print(f"{'baseline: ' + BASELINE_SQL[:44]:54} {base:8.1f} {percentile(base_samples, 0.95):8.1f}")
    results = [{"name": "baseline", "ms": base_samples}]
    for name, run in timed:
        samples, size = await _time(run, reps, warmup)
        p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
        ok = "yes" if p95 < TARGET_MS else "NO"
        print(f"{name[:54]:54} {p50:8.1f} {p95:8.1f} {p95 / base:7.1f} {size:5}  {ok}", flush=True)
        results.append({"name": name, "ms": samples, "ratio_p95": p95 / base, "rows": size})
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.back_office_queries", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--dir", type=Path, default=Path("/tmp/qrb-pageperf"))
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--before", action="store_true", help="also the queries before 0011 (3 reps, ~30 s)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.dir.resolve() == Path("/tmp/qrb-ui"):
        raise SystemExit("copy the data dir first (see --help): this bench migrates it")
    end = datetime.fromisoformat(orjson.loads((args.dir / "shape.json").read_bytes())["end"])
    ids = orjson.loads((args.dir / "ui-bench-ids.json").read_bytes())
    ch = ClickHouse.connect(f"chdb:///{args.dir.resolve()}/db", DATABASE)
    t0 = time.perf_counter()
    applied = migrate(ch)
    if applied:
        print(f"migrated: {', '.join(m.name for m in applied)} in {time.perf_counter() - t0:.1f} s")
    machine = machine_facts()
    print(f"machine: nproc {machine['nproc']}, load {' '.join(machine.get('loadavg_at_start', []))}; "
          f"{args.reps} reps after {args.warmup} warm-up")  # fmt: skip
    results = asyncio.run(measure(ch, cases(ch, ids, end), args.reps, args.warmup))
    if args.before:
        results += asyncio.run(measure(ch, before(ch, ids, end), 3, 1))
    if args.json:
        args.json.write_bytes(orjson.dumps({"machine": machine, "results": results}, option=orjson.OPT_INDENT_2))
    ch.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
