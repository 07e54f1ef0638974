"""The hourly decision rollups in the embedded ClickHouse: the sink's hook marks both, a build
computes every day once from the time-sorted copy (hour, score bucket, each rule hit), a late
row makes its day dirty until a quiet refresh, and the marks refuse a rollup of another source."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.fraud_rows import DECISION_COLUMNS
from analytics.migrate import migrate
from analytics.reports.common import utc
from analytics.rollups.definitions import DECISION_ROLLUPS, DECISIONS, ORDERS, RULE_HITS
from analytics.rollups.marks import MarkDays
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import day_states
from tests.analytics.rollups.decision_history import DAY0, D, H, MS, row, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


def _day(n: int) -> date:
    return (DAY0 + n * D).date()


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    await store(clickhouse, [
        row("o1", "cmp_a", DAY0 + 2 * H, "approved", 0.12, [], ["new_device@1"]),
        row("o2", "cmp_a", DAY0 + 2 * H + 59 * timedelta(minutes=1), "declined", 1.0, ["card_burst@2", "amount_spike@1"]),
        row("o3", "cmp_b", DAY0 + D - MS, "in_review", -1.0, ["card_burst@2"], ["card_burst@2"]),
        row("o4", "cmp_a", DAY0 + 3 * D, "approved", 0.05),
    ])  # fmt: skip
    return clickhouse


async def test_the_sink_hook_marks_the_utc_days_of_both_decision_rollups(ch: ClickHouse) -> None:
    for rollup in DECISION_ROLLUPS:
        states = await day_states(ch, rollup)
        assert sorted(states) == [_day(0), _day(3)] and all(s.dirty for s in states.values())


async def test_a_build_groups_each_day_by_hour_outcome_score_bucket_and_rule(ch: ClickHouse) -> None:
    assert [(await build_missing(ch, r)).days for r in DECISION_ROLLUPS] == [4, 4]  # days 1, 2: empty
    rows = await ch.query(
        f"SELECT day, company_id, hour, outcome, score_bucket, decisions FROM {ch.table(DECISIONS.target)} "
        "ORDER BY day, company_id, hour, outcome"
    )
    assert [(d, c, utc(h), o, b, n) for d, c, h, o, b, n in rows] == [
        (_day(0), "cmp_a", DAY0 + 2 * H, "approved", 2, 1),
        (_day(0), "cmp_a", DAY0 + 2 * H, "declined", 19, 1),  # a score of 1: the last bucket
        (_day(0), "cmp_b", DAY0 + 23 * H, "in_review", 255, 1),  # no score
        (_day(3), "cmp_a", DAY0 + 3 * D, "approved", 1, 1),
    ]
    hits = await ch.query(
        f"SELECT company_id, rule, fired, hits FROM {ch.table(RULE_HITS.target)} ORDER BY company_id, rule, fired"
    )
    assert hits == [("cmp_a", "amount_spike@1", 1, 1), ("cmp_a", "card_burst@2", 1, 1),
                    ("cmp_a", "new_device@1", 0, 1), ("cmp_b", "card_burst@2", 0, 1),
                    ("cmp_b", "card_burst@2", 1, 1)]  # fmt: skip
    for rollup in DECISION_ROLLUPS:
        assert all(s.clean for s in (await day_states(ch, rollup)).values())


async def test_a_replayed_or_late_decision_dirties_its_day_until_a_quiet_refresh(ch: ClickHouse) -> None:
    for rollup in DECISION_ROLLUPS:
        await build_missing(ch, rollup)
    await store(ch, [row("o1", "cmp_a", DAY0 + 2 * H, "approved", 0.12, [], ["new_device@1"]),  # a replay
                     row("o5", "cmp_c", DAY0 + 3 * D + H, "declined", 0.9, ["velocity@3"])])  # fmt: skip
    for rollup in DECISION_ROLLUPS:
        assert (await refresh_dirty(ch, rollup, quiet=timedelta(hours=1))).days == 0  # marked just now
        assert {d for d, s in (await day_states(ch, rollup)).items() if s.dirty} == {_day(0), _day(3)}
        assert (await refresh_dirty(ch, rollup)).days == 2
    # The replay counted once (FINAL over the time-sorted copy), the late decision counted.
    total = await ch.query(f"SELECT sum(decisions) FROM {ch.table(DECISIONS.target)}")
    assert total == [(5,)]
    hits = await ch.query(f"SELECT sum(hits) FROM {ch.table(RULE_HITS.target)} WHERE rule = 'new_device@1'")
    assert hits == [(1,)]


def test_marks_refuse_rollups_of_another_source_or_rows_without_the_time() -> None:
    with pytest.raises(ValueError):
        MarkDays(DECISIONS, DECISION_COLUMNS, (ORDERS,))
    with pytest.raises(ValueError):
        MarkDays(DECISIONS, ("order_id", "company_id"))
