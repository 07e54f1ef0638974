"""The daily totals of the hourly decision rollups (migration 0015): each computation writes its
days' sums over companies and hours with its own computed_from, a late or replayed decision
dirties its day until a refresh replaces them (the superseded totals deleted with the rollup's
rows), and the migration backfills the computations stored before it."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rollups.definitions import DECISION_ROLLUPS, DECISIONS, RULE_HITS, Rollup
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import day_states
from tests.analytics.before_migration import migrate_before
from tests.analytics.rollups.decision_history import DAY0, D, H, random_decisions, replays, row, store

DAYS = 5


async def _totals(ch: ClickHouse, rollup: Rollup) -> list[tuple]:
    totals = rollup.totals
    assert totals is not None
    columns = ", ".join(("day", "computed_from", *totals.keys, *totals.measures))
    return await ch.query(f"SELECT {columns} FROM {ch.table(totals.table)} ORDER BY {columns}")


async def _sums_of_rows(ch: ClickHouse, rollup: Rollup, latest_only: bool) -> list[tuple]:
    """The rollup's own rows summed as the totals sum them: of every computation, or of each
    day's latest one (what readers take)."""
    totals = rollup.totals
    assert totals is not None
    keys = ", ".join(("day", "computed_from", *totals.keys))
    sums = ", ".join(f"sum({m})" for m in totals.measures)
    where = ""
    if latest_only:
        where = (f"WHERE (day, computed_from) IN (SELECT day, max(computed_from) FROM {ch.table('rollup_days')} "
                 f"WHERE rollup_name = '{rollup.name}' GROUP BY day)")  # fmt: skip
    return await ch.query(
        f"SELECT {keys}, {sums} FROM {ch.table(rollup.target)} {where} GROUP BY {keys} ORDER BY {keys}"
    )


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    return clickhouse


def test_both_decision_rollups_have_daily_totals_without_company_or_hour() -> None:
    for rollup in DECISION_ROLLUPS:
        assert rollup.totals is not None
        assert not {"company_id", "hour"} & set(rollup.totals.keys)
        assert set(rollup.totals.keys) <= set(rollup.keys)
        assert set(rollup.totals.measures) == {c for c, _ in rollup.measures}


async def test_each_computation_writes_its_totals_and_a_refresh_replaces_them(ch: ClickHouse) -> None:
    rnd = random.Random(3)
    first = random_decisions(rnd, 400, DAYS)
    await store(ch, first + replays(rnd, first, 0.2))
    for rollup in DECISION_ROLLUPS:
        assert (await build_missing(ch, rollup)).days >= DAYS  # edges may reach the next day
        assert await _totals(ch, rollup) == await _sums_of_rows(ch, rollup, latest_only=True) != []

    # A late decision and a changed replay: their days dirty until the refresh, then rewritten.
    late = [row("late_1", "cmp_b", DAY0 + 2 * D + 5 * H, "declined", 0.97, ["velocity@3"]),
            row(first[0][0], first[0][1], first[0][2], "in_review", 0.51, ["card_burst@2"])]  # fmt: skip
    await store(ch, late)
    for rollup in DECISION_ROLLUPS:
        dirty = {d for d, s in (await day_states(ch, rollup)).items() if s.dirty}
        assert (DAY0 + 2 * D).date() in dirty
        before = await _totals(ch, rollup)
        assert (await refresh_dirty(ch, rollup)).days == len(dirty)
        after = await _totals(ch, rollup)
        assert after != before
        # Only each day's latest computation is left (the superseded totals pruned with the rows).
        assert after == await _sums_of_rows(ch, rollup, latest_only=True)
        assert after == await _sums_of_rows(ch, rollup, latest_only=False)
    declined = await ch.query(
        f"SELECT sum(decisions) FROM {ch.table('decisions_daily_totals')} WHERE day = {{d:Date}} "
        "AND outcome = 'declined'", {"d": (DAY0 + 2 * D).date()},
    )  # fmt: skip
    live = await ch.query(
        f"SELECT count() FROM {ch.table('decisions')} FINAL WHERE toDate(at) = {{d:Date}} AND outcome = 'declined'",
        {"d": (DAY0 + 2 * D).date()}, {"do_not_merge_across_partitions_select_final": 1},
    )  # fmt: skip
    assert declined == live


async def test_the_migration_backfills_the_totals_of_computations_stored_before_it(
    clickhouse: ClickHouse, tmp_path: Path
) -> None:
    migrate_before(clickhouse, 15, tmp_path / "migrations")
    rnd = random.Random(5)
    await store(clickhouse, random_decisions(rnd, 300, DAYS))
    for rollup in DECISION_ROLLUPS:  # as the refresher computed them before 0015
        await build_missing(clickhouse, replace(rollup, totals=None))
    await store(clickhouse, random_decisions(rnd, 30, DAYS, "late"))
    await refresh_dirty(clickhouse, replace(DECISIONS, totals=None))  # a second computation, pruned
    migrate(clickhouse)
    for rollup in DECISION_ROLLUPS:
        assert await _totals(clickhouse, rollup) == await _sums_of_rows(clickhouse, rollup, latest_only=False)
        assert await _totals(clickhouse, rollup) != []
    # And later computations write their own.
    await store(clickhouse, random_decisions(rnd, 30, DAYS, "later"))
    await refresh_dirty(clickhouse, RULE_HITS)
    assert await _totals(clickhouse, RULE_HITS) == await _sums_of_rows(clickhouse, RULE_HITS, latest_only=True)
