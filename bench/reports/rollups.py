"""reports_bench's daily rollups: built over the generated data as the refresher would (the
generator writes without the sink, so nothing is marked: every day is missing), then the
latest day marked dirty, as live traffic keeps it between refreshes, so a timed report reads
the rollup plus one live day. And a check that every rollup answer equals the live one."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter
from analytics.rollups.definitions import ROLLUPS
from analytics.rollups.marks import mark_dirty
from analytics.rollups.refresh import build_missing
from bench.reports.measure import Scenario, month_bounds, totals_filters
from bench.reports.queries import Reports


def build_rollups(ch: ClickHouse, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    """Every day without a rollup (all of them after generation; none on a reuse that built)."""
    out: dict[str, Any] = {}
    for rollup in ROLLUPS:
        done = loop.run_until_complete(build_missing(ch, rollup))
        rows = ch.query_sync(f"SELECT count() FROM {ch.table(rollup.target)}")[0][0]
        print(f"rollup {rollup.name}: {done.days} days built in {done.seconds:.1f} s "
              f"({rollup.target}: {rows:,} rows)", flush=True)  # fmt: skip
        out[rollup.name] = {"days": done.days, "seconds": done.seconds, "rows": rows}
    return out


def mark_latest_day(ch: ClickHouse, loop: asyncio.AbstractEventLoop, now: datetime) -> None:
    latest = (now - timedelta(days=1)).date()
    for rollup in ROLLUPS:
        loop.run_until_complete(mark_dirty(ch, rollup, [latest]))
    print(f"marked {latest} dirty (as traffic keeps the latest day): reports read it live")


def check_exact(reports: Reports, s: Scenario, loop: asyncio.AbstractEventLoop) -> list[str]:
    """Names of the timed reports whose rollup answer differs from the live one ([]: none)."""
    run = loop.run_until_complete
    wrong = []
    f90 = TransactionFilter(created_from=s.now - timedelta(days=90), created_to=s.now)
    if run(reports.daily_by_company(f90)) != run(reports.daily_by_company(f90, live=True)):
        wrong.append("(b) daily x company, 90 days")
    for label, f in totals_filters(s):
        if run(reports.totals(f)) != run(reports.totals(f, live=True)):
            wrong.append(f"totals: {label}")
    start, end = month_bounds(s.now)
    for company, currency in ((s.ref, s.ref_currency), (s.mid, s.mid_currency)):
        fast = run(reports.statement(company, currency, start, end))
        if fast != run(reports.statement(company, currency, start, end, live=True)):
            wrong.append(f"statement {company} {currency}")
    return wrong


def timed_build(ch: ClickHouse, loop: asyncio.AbstractEventLoop, now: datetime) -> dict[str, Any]:
    t0 = time.perf_counter()
    built = build_rollups(ch, loop)
    mark_latest_day(ch, loop, now)
    built["total_s"] = time.perf_counter() - t0
    return built
