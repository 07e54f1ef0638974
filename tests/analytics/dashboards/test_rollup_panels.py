"""The decision panels from the hourly rollups (and every company's whole days from their daily
totals) equal their own SQL over the raw decisions (each decision counted once: compared after
ClickHouse merged the copies) on a random history with replays, late rows and dirty days, for
random ranges (minute, hour and day buckets) and companies, at every stage: days dirty,
refreshed, dirty again."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.reads import ClickHousePanels
from analytics.dashboards.risk import RISK_DASHBOARD
from analytics.dashboards.rollup_panels import ROLLUP_PANELS
from analytics.migrate import migrate
from analytics.rollups.definitions import DECISION_ROLLUPS, DECISIONS
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import hour_split
from api.staff.risk_dashboard_service import MAX_RANGE, Bucket
from tests.analytics.rollups.decision_history import COMPANIES, DAY0, D, H, random_decisions, replays, row, store

DAYS = 12
PANELS = [p for p in RISK_DASHBOARD.panels if p.id in ROLLUP_PANELS]


def random_queries(rnd: random.Random, n: int) -> list[PanelQuery]:
    queries = []
    for _ in range(n):
        span = rnd.choice((timedelta(minutes=rnd.randrange(1, 360)), timedelta(hours=rnd.randrange(6, 170)),
                           timedelta(days=rnd.randrange(7, 14)), timedelta(days=1), MAX_RANGE))  # fmt: skip
        start = DAY0 - D + timedelta(milliseconds=rnd.randrange((DAYS + 1) * 86_400_000))
        if rnd.random() < 0.3:
            start = start.replace(minute=0, second=0, microsecond=0)  # on an hour
        queries.append(PanelQuery(start, start + span, Bucket.for_range(span).seconds,
                                  rnd.choice((None, None, *COMPANIES, "cmp_none"))))  # fmt: skip
    return queries


async def _differences(ch: ClickHouse, queries: list[PanelQuery]) -> list[str]:
    """Rollup answers first (copies unmerged), then the panel SQL over merged decisions."""
    rollups, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    answers = {(p.id, q): await rollups.rows(p, q) for p in PANELS for q in queries}
    await ch.command(f"OPTIMIZE TABLE {ch.table('decisions')} FINAL")
    wrong = []
    for (panel_id, q), got in answers.items():
        panel = next(p for p in PANELS if p.id == panel_id)
        expected = await raw.rows(panel, q)
        if got != expected or await rollups.rows(panel, q) != expected:
            wrong.append(f"{panel_id} {q}: {got} != {expected}")
    return wrong


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    return clickhouse


async def test_rollups_plus_live_edges_equal_the_panel_sql_through_replays_and_late_rows(ch: ClickHouse) -> None:
    rnd = random.Random(7)
    first = random_decisions(rnd, 900, DAYS)
    await store(ch, first)
    await store(ch, replays(rnd, first, 0.2))  # a redelivered batch, before any rollup
    for rollup in DECISION_ROLLUPS:
        await build_missing(ch, rollup)
    queries = random_queries(rnd, 12)
    assert await _differences(ch, queries) == []  # every day clean
    used = [len((await hour_split(ch, DECISIONS, q.time_from, q.time_to)).rollup_days) for q in queries]
    assert sum(used) > 20  # the rollups answered, not only the live reads

    await store(ch, replays(rnd, first, 0.1) + random_decisions(rnd, 60, DAYS, "late"))  # days dirty again
    assert await _differences(ch, random_queries(rnd, 12)) == []
    for rollup in DECISION_ROLLUPS:
        await refresh_dirty(ch, rollup)
    assert await _differences(ch, random_queries(rnd, 12)) == []

    await store(ch, replays(rnd, first, 0.1))  # unmerged copies under clean rollups' days: dirty
    for rollup in DECISION_ROLLUPS:
        await refresh_dirty(ch, rollup)  # recomputed over unmerged copies: FINAL counts one
    assert await _differences(ch, random_queries(rnd, 12)) == []


async def test_an_empty_database_and_hostile_companies_answer_like_the_panel_sql(ch: ClickHouse) -> None:
    rollups, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    hostile = ["x' OR 1=1 --", "cmp_a'; DROP TABLE decisions; --", "{company_id:String}"]
    for company in (None, *hostile):
        q = PanelQuery(DAY0, DAY0 + 3 * D + H, Bucket.DAY.seconds, company)
        for panel in PANELS:
            assert await rollups.rows(panel, q) == await raw.rows(panel, q)


class _Recorded:
    """The database, recording each query's SQL and settings (a fake around the real one)."""

    def __init__(self, ch: ClickHouse) -> None:
        self._ch = ch
        self.database = ch.database
        self.queries: list[tuple[str, dict]] = []

    def table(self, name: str) -> str:
        return self._ch.table(name)

    async def query(self, sql: str, parameters: dict | None = None, settings: dict | None = None) -> list[tuple]:
        self.queries.append((sql, dict(settings or {})))
        return await self._ch.query(sql, parameters, settings)


async def test_every_companys_whole_days_come_from_the_daily_totals_exactly(ch: ClickHouse) -> None:
    """Ranges starting and ending mid-day (minutes, as the back office asks, and milliseconds),
    every company and one: equal to the panel SQL with every day clean, with a late decision
    and a changed replay dirtying a day inside the range, and after the refresh."""
    rnd = random.Random(11)
    first = random_decisions(rnd, 700, DAYS)
    await store(ch, first)
    for rollup in DECISION_ROLLUPS:
        await build_missing(ch, rollup)
    starts = (DAY0 + 13 * H + 27 * timedelta(minutes=1), DAY0 + D - timedelta(milliseconds=1), DAY0 + 2 * D)
    ends = (DAY0 + 9 * D + 23 * H + 59 * timedelta(minutes=1), DAY0 + 8 * D + timedelta(milliseconds=1))
    queries = [PanelQuery(s, e, b.seconds, c) for s in starts for e in ends for c in (None, "cmp_b")
               for b in (Bucket.DAY, Bucket.HOUR)]  # fmt: skip
    recorded = _Recorded(ch)
    reads = ClickHousePanels(recorded)
    for q in queries:
        for panel in PANELS:
            await reads.rows(panel, q)
    totals = [sql for sql, _ in recorded.queries if "daily_totals" in sql]
    # Every company's ranges (3 x 2, two buckets each): score and alerts, and outcomes by day.
    assert len(totals) == 3 * 2 * (2 * 2 + 1)
    assert all("company_id = {company_id:String}" not in sql.split("daily_totals")[1][:200] for sql in totals)
    assert all(s.get("max_threads") == 1 for _, s in recorded.queries)  # one thread a query: lanes run them
    assert await _differences(ch, queries) == []

    await store(ch, [row("late_1", "cmp_b", DAY0 + 4 * D + 7 * H, "declined", 0.93, ["velocity@3"], ["new_device@1"]),
                     row(first[3][0], first[3][1], first[3][2], "in_review", 0.42, ["card_burst@2"])])  # fmt: skip
    assert await _differences(ch, queries) == []  # the dirty days read live
    for rollup in DECISION_ROLLUPS:
        assert (await refresh_dirty(ch, rollup)).days >= 1
    assert await _differences(ch, queries) == []
