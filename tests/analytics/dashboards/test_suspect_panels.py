"""The top-suspects panels from the hourly suspects rollup equal their own SQL over the flagged
orders and decisions (each stored once: compared after ClickHouse merged the copies) on a random
history with replays, late rows and dirty days, for random ranges and companies, at every stage:
days never computed, computed, dirty again through either source, refreshed."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.reads import ClickHousePanels
from analytics.dashboards.risk import TOP_END_USERS, TOP_RECIPIENTS
from analytics.migrate import migrate
from analytics.rows import ORDER_COLUMNS
from analytics.rollups.definitions import DECISIONS, END_USER_HASH, ORDERS, RECIPIENT_HASH, SUSPECTS
from analytics.rollups.marks import mark_dirty
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import day_states, hour_split, hour_splits
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.suspect_panels import (
    AT_LEAST, END_USERS, MAX_CANDIDATES, RECIPIENTS, TWO_STEPS_AFTER, SharedSteps, TopList, TopPanel,
)  # fmt: skip
from api.staff.risk_dashboard_service import Bucket
from tests.analytics.dashboards.suspect_history import random_orders, replays, store
from tests.analytics.dashboards.test_rollup_panels import random_queries
from tests.analytics.rollups.decision_history import DAY0, D, H

DAYS = 12
PANELS = (TOP_END_USERS, TOP_RECIPIENTS)
STATUS, VERSION = ORDER_COLUMNS.index("status"), ORDER_COLUMNS.index("version")


async def _differences(ch: ClickHouse, queries: list[PanelQuery]) -> list[str]:
    """Rollup answers first (copies unmerged), then the panel SQL over merged flagged tables."""
    rollups, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    answers = {q: await rollups.rows_of(PANELS, q) for q in queries}
    for table in ("flagged_orders", "flagged_decisions"):
        await ch.command(f"OPTIMIZE TABLE {ch.table(table)} FINAL")
    wrong = []
    for q, got in answers.items():
        expected = await raw.rows_of(PANELS, q)
        if got != expected or await rollups.rows_of(PANELS, q) != expected:
            wrong.append(f"{q}: {got} != {expected}")
    return wrong


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    return clickhouse


async def _used(ch: ClickHouse, queries: list[PanelQuery]) -> int:
    return sum([len((await hour_split(ch, SUSPECTS, q.time_from, q.time_to)).rollup_days) for q in queries])


async def test_rollup_plus_live_edges_equal_the_panel_sql_through_replays_and_late_rows(ch: ClickHouse) -> None:
    rnd = random.Random(11)
    first = random_orders(rnd, 700, DAYS)
    await store(ch, first)
    await store(ch, replays(rnd, first, 0.2))  # redelivered batches, before any rollup
    queries = random_queries(rnd, 10)
    assert await _differences(ch, queries) == []  # nothing computed: every day live
    await build_missing(ch, SUSPECTS)
    queries = random_queries(rnd, 12)
    assert await _differences(ch, queries) == []  # every day clean
    assert await _used(ch, queries) > 20  # the rollup answered, not only the live reads

    await store(ch, replays(rnd, first, 0.1))
    await store(ch, random_orders(rnd, 60, DAYS, "late"))  # days dirty again
    assert await _differences(ch, random_queries(rnd, 12)) == []
    await refresh_dirty(ch, SUSPECTS)
    assert await _differences(ch, random_queries(rnd, 12)) == []

    await store(ch, replays(rnd, first, 0.15))  # unmerged copies under clean days: dirty
    await refresh_dirty(ch, SUSPECTS)  # recomputed over unmerged copies: FINAL takes one
    queries = random_queries(rnd, 12)
    assert await _differences(ch, queries) == []
    assert await _used(ch, queries) > 20


async def test_a_mark_of_either_source_makes_a_day_dirty(ch: ClickHouse) -> None:
    await store(ch, random_orders(random.Random(3), 40, 3))
    await build_missing(ch, SUSPECTS)
    states = await day_states(ch, SUSPECTS)
    assert len(states) == 3 and all(s.clean for s in states.values())
    for source, day in ((ORDERS, DAY0.date()), (DECISIONS, (DAY0 + D).date())):
        await mark_dirty(ch, source, [day])
        assert (await day_states(ch, SUSPECTS))[day].dirty
    assert (await day_states(ch, SUSPECTS))[(DAY0 + 2 * D).date()].clean
    assert (await refresh_dirty(ch, SUSPECTS)).days == 2


async def test_a_day_groups_its_flagged_orders_with_their_highest_score(ch: ClickHouse) -> None:
    versions, decisions = random_orders(random.Random(5), 80, 2)
    await store(ch, (versions, decisions))
    await build_missing(ch, SUSPECTS)
    rows = await ch.query(
        f"SELECT sum(declined), sum(in_review), max(max_score), countIf(max_score IS NULL) "
        f"FROM {ch.table(SUSPECTS.target)}"
    )
    flagged = {v[0]: v[STATUS] for v in versions if v[VERSION] == 2 and v[STATUS] in ("declined", "in_review")}
    scores = {d[0]: d[4] for d in decisions if d[3] in ("declined", "in_review")}
    declined = sum(1 for status in flagged.values() if status == "declined")
    assert rows[0][:3] == (declined, len(flagged) - declined, max(scores[o] for o in flagged if o in scores))
    assert rows[0][3] <= sum(1 for o in flagged if o not in scores)  # no decision stored: no score


async def test_an_empty_database_and_hostile_companies_answer_like_the_panel_sql(ch: ClickHouse) -> None:
    await build_missing(ch, SUSPECTS)
    rollups, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    for company in (None, "x' OR 1=1 --", "cmp_a'; DROP TABLE flagged_orders; --", "{company_id:String}"):
        q = PanelQuery(DAY0, DAY0 + 3 * D + H, Bucket.DAY.seconds, company)
        assert await rollups.rows_of(PANELS, q) == await raw.rows_of(PANELS, q) == [[], []]


class _Counting:
    """The ClickHouse client, counting queries."""

    def __init__(self, ch: ClickHouse) -> None:
        self.ch, self.queries = ch, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.ch, name)

    async def query(self, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        self.queries += 1
        return await self.ch.query(*args, **kwargs)  # type: ignore[arg-type]


# The lists (some with hashes that collide, each a function of the group's columns as it must
# be), how many candidate hashes they pass on, the least count step 1 ranks, and how many
# queries a list may then take: candidates and their groups (2), then by columns when two groups
# share a hash (3), or candidates then by columns when fewer than TOP hashes count at least
# `at_least` or too many tie (2).
CASES = {
    "the panels' own hashes": ((END_USERS, RECIPIENTS), MAX_CANDIDATES, AT_LEAST, (2,)),
    "the panels' own hashes, every count ranked": ((END_USERS, RECIPIENTS), MAX_CANDIDATES, 1, (2,)),
    "every group collides": ((TopList(END_USERS.keys, "toUInt64(0)", "toUInt64(0)"),
                              TopList(RECIPIENTS.keys, "toUInt64(0)", "toUInt64(0)", RECIPIENTS.where)),
                             MAX_CANDIDATES, 1, (3,)),
    "the busiest groups collide": ((
        TopList(END_USERS.keys, *[f"if(end_user_id IN ('eu_0', 'eu_1'), 1, {END_USER_HASH})"] * 2),
        TopList(RECIPIENTS.keys, *[f"if(recipient LIKE 'tok_%', 1, {RECIPIENT_HASH})"] * 2, RECIPIENTS.where),
    ), MAX_CANDIDATES, 1, (3,)),
    "the busiest groups collide, repeated groups ranked": ((
        TopList(END_USERS.keys, *[f"if(end_user_id IN ('eu_0', 'eu_1'), 1, {END_USER_HASH})"] * 2),
        TopList(RECIPIENTS.keys, *[f"if(recipient LIKE 'tok_%', 1, {RECIPIENT_HASH})"] * 2, RECIPIENTS.where),
    ), MAX_CANDIDATES, AT_LEAST, (2, 3)),
    "more candidates than passed on": ((END_USERS, RECIPIENTS), 1, AT_LEAST, (2,)),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
async def test_colliding_hashes_or_too_many_candidates_fall_back_to_the_groups_by_columns(
    ch: ClickHouse, case: str
) -> None:
    rnd = random.Random(13)
    history = random_orders(rnd, 500, 4)
    await store(ch, history)
    await build_missing(ch, SUSPECTS)
    await store(ch, replays(rnd, history, 0.1))  # dirty days: live parts
    for table in ("flagged_orders", "flagged_decisions"):
        await ch.command(f"OPTIMIZE TABLE {ch.table(table)} FINAL")
    raw, counting = ClickHousePanels(ch, live=True), _Counting(ch)
    lists, max_candidates, at_least, queries = CASES[case]
    stepped = 0
    for i, q in enumerate(random_queries(rnd, 8)):
        q = replace(q, company_id=None) if i % 2 else q  # two steps: every company's ranges only
        # Both ways: two steps from a day on here, one query below (from a week on, as configured).
        two_steps_after = timedelta(days=1) if rnd.random() < 0.7 else TWO_STEPS_AFTER
        splits = await hour_splits(ch, (SUSPECTS,), q.time_from, q.time_to)
        params = {"from": q.time_from, "to": q.time_to, "bucket_s": q.bucket_seconds, "company_id": q.company_id or ""}
        reads = [TopPanel(top, max_candidates=max_candidates, two_steps_after=two_steps_after, at_least=at_least)
                 for top in lists]  # fmt: skip
        shared = _Counting(ch)
        both = SharedSteps(shared, q, splits, params, reads)  # both lists' steps, one query each  # type: ignore[arg-type]
        for panel, read in zip((TOP_END_USERS, TOP_RECIPIENTS), reads, strict=True):
            before = counting.queries
            got = await read.rows(counting, q, splits, params)  # type: ignore[arg-type]
            assert list(got) == await raw.rows(panel, q)
            if read.two_steps(q):  # candidates, [their groups], [by columns]
                assert counting.queries - before in queries or len(got) < 2
                assert list(await read.rows(shared, q, splits, params, both)) == list(got)  # type: ignore[arg-type]
                stepped += 1
            else:
                assert counting.queries - before == 1
        # Step 1 and [step 2] for both lists, then by columns for each list that needs it.
        assert shared.queries <= 4 or not reads[0].two_steps(q)
    assert stepped > 3
