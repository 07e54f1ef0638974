"""reports_bench --investigate, and the table facts every run prints: EXPLAIN, bench-only SQL
experiments, FINAL settings, and timings after OPTIMIZE TABLE … FINAL."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter, final_clause
from bench.reports.generate import DATABASE
from bench.reports.measure import Scenario, Timing, measure, run_queries, table_header, table_line
from bench.reports.queries import Reports


def table_facts(ch: ClickHouse) -> list[tuple]:
    return ch.query_sync(
        "SELECT table, count() AS parts, sum(rows), formatReadableSize(sum(bytes_on_disk)) "
        f"FROM system.parts WHERE database = '{DATABASE}' AND active "
        "AND table IN ('orders', 'order_events', 'ledger_entries') GROUP BY table ORDER BY table"
    )


def print_facts(ch: ClickHouse) -> None:
    for table, parts, rows, size in table_facts(ch):
        print(f"  {table:<15} {int(rows):>12,} rows  {int(parts):>4} parts  {size}")
    final = ch.query_sync(f"SELECT count() FROM {DATABASE}.orders FINAL")[0][0]
    raw = ch.query_sync(f"SELECT count() FROM {DATABASE}.orders")[0][0]
    print(f"  orders: {raw:,} rows, {final:,} with FINAL ({raw - final:,} stale versions not merged yet)")


def check_ledger(ch: ClickHouse) -> str:
    r = ch.query_sync(
        f"SELECT min(available_after), min(reserved_after), "
        f"countIf(kind = 'reserve'), countIf(kind IN ('capture', 'release')) "
        f"FROM {DATABASE}.ledger_entries"
    )[0]
    return f"min available_after {r[0]:,}, min reserved_after {r[1]:,}, reserves {r[2]:,}, settled {r[3]:,}"


def explain(ch: ClickHouse, sql: str, params: dict[str, Any]) -> str:
    rows = ch.query_sync(f"EXPLAIN indexes = 1 {sql}", params)
    keep = [r[0] for r in rows if any(k in r[0] for k in ("Type:", "Parts:", "Granules:", "Name:", "Condition:"))]
    return "\n".join("    " + line.strip() for line in keep)


def experiments(
    ch: ClickHouse, s: Scenario, args: argparse.Namespace, loop: asyncio.AbstractEventLoop
) -> list[Timing]:
    """EXPERIMENTS, not report code: (1) filters on columns an order never changes (company,
    amount, card, end user, external id) as PREWHERE, which FINAL applies before merging
    versions: exact, because all versions of an order agree on them (the report functions now
    do this via filters.final_clause; the hand-written SQL stays to compare); (2) a daily rollup of
    closed days (FINAL once, at build time) plus the open tail read with FINAL."""
    now, day = s.now, timedelta(days=1)
    orders = ch.table("orders")
    cols = ("order_id, company_id, product_id, product_type, provider, amount_value, fee_value, "
            "currency, status, status_reason, recipient_kind, card_bin, card_last4, end_user_id, "
            "external_id, sandbox, created_at, updated_at, version")  # fmt: skip
    out: list[Timing] = []

    def q(name: str, sql: str, params: dict[str, Any], target: float | None) -> None:
        t = measure(loop, name, lambda: ch.query(sql, params), args.reps, args.warmup, target,
                    lambda r: f"{len(r)} rows")  # fmt: skip
        out.append(t)
        print(table_line(t), flush=True)

    print("\n-- experiments (bench SQL, not the report functions)")
    print(table_header())
    page = f"SELECT {cols} FROM {orders} FINAL PREWHERE %s WHERE %s ORDER BY created_at DESC, order_id DESC LIMIT 51"
    q("(x) page PREWHERE: largest co, amount 1,000.00-5,000.00",
      page % ("company_id = {c:String} AND amount_value BETWEEN 100000 AND 500000", "1"), {"c": s.ref}, 50)
    q("(x) page PREWHERE: median co, amount 1,000.00-5,000.00",
      page % ("company_id = {c:String} AND amount_value BETWEEN 100000 AND 500000", "1"), {"c": s.mid}, 50)
    q(f"(x) page PREWHERE: largest co, card last4={s.card_last4}",
      page % ("company_id = {c:String} AND card_last4 = {l:String}", "1"), {"c": s.ref, "l": s.card_last4}, 50)
    # (2) the rollup
    rollup = f"{DATABASE}.bench_daily_rollup"
    ch.command_sync(f"DROP TABLE IF EXISTS {rollup}")
    t0 = time.perf_counter()
    ch.command_sync(
        f"CREATE TABLE {rollup} ENGINE = SummingMergeTree ORDER BY (day, company_id, currency, product_type, status) "
        "AS SELECT toDate(created_at) AS day, company_id, currency, product_type, status, "
        f"count() AS orders, sum(amount_value) AS amount, sum(fee_value) AS fee FROM {orders} FINAL "
        f"WHERE created_at < toDateTime64('{(now - 2 * day):%Y-%m-%d %H:%M:%S}', 3, 'UTC') "
        "GROUP BY day, company_id, currency, product_type, status"
    )
    build_s = time.perf_counter() - t0
    n = ch.query_sync(f"SELECT count() FROM {rollup}")[0][0]
    print(f"rollup of closed days (older than 2 days) built from orders FINAL in {build_s:.1f} s: {n:,} rows")
    cut = "{cut:DateTime64(3, 'UTC')}"
    q("(x) daily x company 90 d: rollup + FINAL for the last 2 days",
      f"SELECT toString(day) AS d, company_id, currency, sum(o), sum(a), sum(f) FROM ("
      f"SELECT day, company_id, currency, sum(orders) AS o, sum(amount) AS a, sum(fee) AS f FROM {rollup} "
      "WHERE day >= toDate({from:DateTime64(3, 'UTC')}) GROUP BY day, company_id, currency "
      "UNION ALL SELECT toDate(created_at) AS day, company_id, currency, count(), sum(amount_value), "
      f"sum(fee_value) FROM {orders} FINAL PREWHERE created_at >= {cut} GROUP BY day, company_id, currency"
      ") GROUP BY d, company_id, currency ORDER BY d, company_id, currency "
      "SETTINGS do_not_merge_across_partitions_select_final = 1",
      {"from": now - 90 * day, "cut": now - 2 * day}, 200)
    # (3) what telling stale rollup days apart at read time would cost: the newest version
    # per closed day (no FINAL: the max over all versions is the same).
    q("(x) newest updated_at per day, 90 d (rollup staleness check)",
      f"SELECT toDate(created_at) AS d, max(updated_at) FROM {orders} "
      "PREWHERE created_at >= {from:DateTime64(3, 'UTC')} GROUP BY d",
      {"from": now - 90 * day}, None)
    ch.command_sync(f"DROP TABLE {rollup}")
    return out


def investigate(
    ch: ClickHouse, reports: Reports, s: Scenario, args: argparse.Namespace, loop: asyncio.AbstractEventLoop
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    now = s.now
    f = TransactionFilter(company_ids=(s.ref,), created_from=now - timedelta(days=30), created_to=now,
                          statuses=("completed",))  # fmt: skip
    w = final_clause(f)
    print("\nEXPLAIN indexes = 1: page, largest company, last 30 d, completed")
    print(explain(ch, f"SELECT order_id FROM {DATABASE}.orders FINAL {w.sql} "
                      "ORDER BY created_at DESC, order_id DESC LIMIT 51", w.parameters))  # fmt: skip
    f = TransactionFilter(company_ids=(s.ref,), card_last4=s.card_last4)
    w = final_clause(f)
    print("EXPLAIN indexes = 1: page, largest company, card last4")
    print(explain(ch, f"SELECT order_id FROM {DATABASE}.orders FINAL {w.sql} "
                      "ORDER BY created_at DESC, order_id DESC LIMIT 51", w.parameters))  # fmt: skip

    out["experiments"] = [t.row() for t in experiments(ch, s, args, loop)]

    print("\n-- after OPTIMIZE TABLE … FINAL (every partition merged to one part)")
    t0 = time.perf_counter()
    for table in ("orders", "order_events", "ledger_entries"):
        ch.command_sync(f"OPTIMIZE TABLE {DATABASE}.{table} FINAL")
    out["optimize_final_s"] = time.perf_counter() - t0
    print(f"OPTIMIZE TABLE FINAL of the three tables: {out['optimize_final_s']:.1f} s")
    print_facts(ch)
    out["optimized"] = [t.row() for t in run_queries(ch, reports, s, args.reps, args.warmup, loop)]
    return out
