"""Timing for reports_bench: repetitions and percentiles, the scenario (which companies), the
standard query set with its targets, and the printed table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter
from analytics.reports.order_sums import rollup_applies
from bench.reports.generate import DATABASE
from bench.reports.queries import Reports
from bench.stats import percentile


@dataclass
class Timing:
    name: str
    target_ms: float | None
    ms: list[float] = field(default_factory=list)
    result: str = ""

    def pct(self, q: float) -> float:
        return percentile(sorted(self.ms), q)

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name, "target_ms": self.target_ms, "p50_ms": self.pct(0.5),
            "p95_ms": self.pct(0.95), "max_ms": max(self.ms), "n": len(self.ms), "result": self.result,
        }  # fmt: skip


SLOW_S = 1.0  # a warm-up slower than this cuts the repetitions to SLOW_BUDGET_S of work
SLOW_BUDGET_S = 20.0
MIN_REPS = 5


def measure(
    loop: asyncio.AbstractEventLoop,
    name: str,
    make: Callable[[], Awaitable[Any]],
    reps: int,
    warmup: int,
    target_ms: float | None = None,
    describe: Callable[[Any], str] = lambda r: "",
) -> Timing:
    timing = Timing(name, target_ms)
    result = None
    k = 0
    while k < warmup + reps:
        t0 = time.perf_counter()
        result = loop.run_until_complete(make())
        elapsed = time.perf_counter() - t0
        if k >= warmup:
            timing.ms.append(elapsed * 1000)
        elif elapsed > SLOW_S:  # a slow query: fewer repetitions, at least MIN_REPS
            reps = max(MIN_REPS, min(reps, int(SLOW_BUDGET_S / elapsed)))
        k += 1
    timing.result = describe(result)
    return timing


def _rows(r: Any) -> str:
    items = getattr(r, "items", r)
    return f"{len(items)} rows"


def _totals(r: Any) -> str:
    count = getattr(r, "count", None)
    return f"{count:,} orders" if count is not None else f"{sum(int(x[1]) for x in r):,} orders"


def _statement(r: Any) -> str:
    if hasattr(r, "reconciled"):
        n = sum(m.count for m in r.movements)
        return f"{n:,} entries, reconciled={r.reconciled}"
    return f"{sum(int(x[1]) for x in r[1]):,} entries"


@dataclass(frozen=True, slots=True)
class Scenario:
    ref: str  # the company the one-company queries read
    ref_label: str
    ref_currency: str
    mid: str
    mid_currency: str
    card_last4: str
    now: datetime


def pick_scenario(ch: ClickHouse, now: datetime) -> Scenario:
    sizes = ch.query_sync(
        f"SELECT company_id, count() AS c, topK(1)(currency)[1] FROM {DATABASE}.orders "
        "GROUP BY company_id ORDER BY c DESC, company_id"
    )
    ref, ref_n, ref_cur = sizes[0]
    mid, mid_n, mid_cur = sizes[len(sizes) // 2]
    last4 = ch.query_sync(
        f"SELECT card_last4 FROM {DATABASE}.orders WHERE company_id = {{c:String}} "
        "AND card_last4 != '' ORDER BY created_at DESC LIMIT 1",
        {"c": ref},
    )[0][0]
    label = f"largest ({int(ref_n):,} rows)"
    return Scenario(ref, label, ref_cur, mid, mid_cur, last4, now)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The last whole calendar month before `now`."""
    end = now.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end


def totals_filters(s: Scenario) -> list[tuple[str, TransactionFilter]]:
    """The transactions report's filters: pages and totals are timed for each."""
    now, day = s.now, timedelta(days=1)
    filters = []
    for label, company, in (("largest", s.ref), ("median", s.mid)):
        c = (company,)
        filters += [
            (f"{label} co, last 30 d, status=completed",
             TransactionFilter(company_ids=c, created_from=now - 30 * day, created_to=now,
                               statuses=("completed",))),
            (f"{label} co, amount 1,000.00-5,000.00",
             TransactionFilter(company_ids=c, amount_min=100_000, amount_max=500_000)),
            (f"{label} co, last 30 d, status=failed",
             TransactionFilter(company_ids=c, created_from=now - 30 * day, created_to=now,
                               statuses=("failed",))),
        ]  # fmt: skip
    filters += [
        (f"largest co, card last4={s.card_last4}",
         TransactionFilter(company_ids=(s.ref,), card_last4=s.card_last4)),
        ("all companies, 1 day (yesterday)",
         TransactionFilter(created_from=now - day, created_to=now)),
    ]  # fmt: skip
    return filters


def run_queries(
    ch: ClickHouse, reports: Reports, s: Scenario, reps: int, warmup: int, loop: asyncio.AbstractEventLoop,
    live_too: bool = False, only: tuple[str, ...] = (),
) -> list[Timing]:  # fmt: skip
    """`live_too`: also time the FINAL-only variant of what the daily rollups answer (the
    "before" of each such line, in the same run). `only`: time just the lines whose name holds
    one of these texts (case-insensitive; empty: every line)."""
    now = s.now
    month_start, month_end = month_bounds(now)
    out: list[Timing] = []

    def q(name: str, make: Callable[[], Awaitable[Any]], target: float | None, describe: Any) -> None:
        if only and not any(o.lower() in name.lower() for o in only):
            return
        timing = measure(loop, name, make, reps, warmup, target, describe)
        out.append(timing)
        print(table_line(timing), flush=True)

    print(table_header(), flush=True)
    # Baselines.
    orders = ch.table("orders")
    q("baseline: SELECT count() FROM orders", lambda: ch.query(f"SELECT count() FROM {orders}"),
      None, lambda r: f"{r[0][0]:,} rows")  # fmt: skip
    q("baseline: full scan GROUP BY company (no FINAL)",
      lambda: ch.query(f"SELECT company_id, count(), sum(amount_value) FROM {orders} GROUP BY company_id"),
      None, lambda r: f"{len(r)} companies")  # fmt: skip
    # (a) transactions pages and totals.
    day = timedelta(days=1)
    filters = totals_filters(s)
    for label, f in filters:
        q(f"(a) page: {label}", lambda f=f: reports.page(f), 50, _rows)
    first = loop.run_until_complete(reports.page(filters[0][1]))
    key = reports.last_key(first)
    if key is not None:
        q(f"(a) page 2 (keyset): {filters[0][0]}", lambda: reports.page(filters[0][1], key), 50, _rows)
    for label, f in filters:
        q(f"(a) totals: {label}", lambda f=f: reports.totals(f), None, _totals)
        if live_too and rollup_applies(f):
            q(f"(a) totals LIVE: {label}", lambda f=f: reports.totals(f, live=True), None, _totals)
    # (b) daily aggregates by company over 90 days.
    f90 = TransactionFilter(created_from=now - 90 * day, created_to=now)
    q("(b) daily x company, 90 days", lambda: reports.daily_by_company(f90), 200, _rows)
    if live_too:
        q("(b) daily x company, 90 days LIVE", lambda: reports.daily_by_company(f90, live=True), 200, _rows)
    # (c) statements of one company and one month.
    for label, company, currency in (("largest", s.ref, s.ref_currency), ("median", s.mid, s.mid_currency)):
        q(f"(c) statement {label} co {currency} {month_start:%Y-%m}",
          lambda c=company, cur=currency: reports.statement(c, cur, month_start, month_end),
          200, _statement)  # fmt: skip
        if live_too:
            q(f"(c) statement {label} co {currency} {month_start:%Y-%m} LIVE",
              lambda c=company, cur=currency: reports.statement(c, cur, month_start, month_end, live=True),
              200, _statement)  # fmt: skip
    return out


def table_header() -> str:
    return f"{'query':<58} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>7}  result"


def table_line(t: Timing) -> str:
    target = "" if t.target_ms is None else f"<{t.target_ms:.0f}"
    flag = "" if t.target_ms is None else ("  ok" if t.pct(0.95) < t.target_ms else "  MISSED")
    return (
        f"{t.name[:58]:<58} {len(t.ms):3d} {t.pct(0.5):8.1f} {t.pct(0.95):8.1f} {max(t.ms):8.1f} {target:>7}  "
        f"{t.result}{flag}"
    )


def print_ratios(timings: list[Timing]) -> None:
    if len(timings) < 2 or not timings[1].name.startswith("baseline"):
        return  # --only left the baselines out
    count = timings[0].pct(0.5)
    scan = timings[1].pct(0.5)
    print(f"\nratios (p50): x count() = query / `SELECT count()` ({count:.1f} ms); "
          f"x scan = query / full-scan aggregate ({scan:.1f} ms)")  # fmt: skip
    for t in timings[2:]:
        print(f"  {t.name[:58]:<58} x count() {t.pct(0.5) / count:7.1f}   x scan {t.pct(0.5) / scan:6.2f}")
