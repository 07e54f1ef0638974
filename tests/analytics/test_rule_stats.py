"""Rule hit statistics from the hourly rollups equal the query over `decisions FINAL` alone on a
random history with replays and late rows, for random ranges and companies, while days are
dirty and after they are refreshed; hostile company values stay plain values."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rollups.definitions import DECISION_ROLLUPS
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rule_stats import rule_stats
from tests.analytics.rollups.decision_history import COMPANIES, DAY0, D, random_decisions, replays, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


DAYS = 10


def _ranges(rnd: random.Random, n: int) -> list[tuple]:
    out = []
    for _ in range(n):
        start = DAY0 - D + timedelta(milliseconds=rnd.randrange((DAYS + 1) * 86_400_000))
        span = timedelta(milliseconds=rnd.randrange(1, 8 * 86_400_000))
        out.append((start, start + span, rnd.choice((None, *COMPANIES))))
    return out


async def _same(ch: ClickHouse, ranges: list[tuple]) -> None:
    for start, end, company in ranges:
        assert await rule_stats(ch, start, end, company) == await rule_stats(ch, start, end, company, live=True)


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    return clickhouse


async def test_rollup_statistics_equal_the_live_ones_through_replays_and_late_rows(ch: ClickHouse) -> None:
    rnd = random.Random(11)
    first = random_decisions(rnd, 700, DAYS)
    await store(ch, first + replays(rnd, first, 0.2))
    for rollup in DECISION_ROLLUPS:
        await build_missing(ch, rollup)
    await _same(ch, _ranges(rnd, 15))
    whole = await rule_stats(ch, DAY0, DAY0 + DAYS * D, None)
    in_range = {r[0] for r in first if DAY0 <= r[2] < DAY0 + DAYS * D}  # replays are the same orders
    assert whole.decisions == len(in_range) and sum(r.fired + r.shadow for r in whole.rules) > 500
    await store(ch, replays(rnd, first, 0.2) + random_decisions(rnd, 50, DAYS, "late"))
    await _same(ch, _ranges(rnd, 15))  # dirty days live
    for rollup in DECISION_ROLLUPS:
        await refresh_dirty(ch, rollup)
    await _same(ch, _ranges(rnd, 15))
    late = (await rule_stats(ch, DAY0, DAY0 + DAYS * D, None)).decisions - whole.decisions
    assert 45 <= late <= 50  # the late decisions in the range, each once


async def test_empty_ranges_and_hostile_companies(ch: ClickHouse) -> None:
    rnd = random.Random(3)
    await store(ch, random_decisions(rnd, 50, 2))
    for rollup in DECISION_ROLLUPS:
        await build_missing(ch, rollup)
    for company in ("x' OR 1=1 --", "cmp_a'; DROP TABLE decisions; --", "{company_id:String}"):
        stats = await rule_stats(ch, DAY0, DAY0 + 2 * D, company)
        assert stats.decisions == 0 and stats.rules == ()
    assert (await rule_stats(ch, DAY0 + D, DAY0 + D, None)).decisions == 0
    assert (await rule_stats(ch, DAY0 + D, DAY0, None)).decisions == 0
