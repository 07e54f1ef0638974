"""The top-suspects lists with their whole days kept between renders equal the panels' SQL,
cold and warm, through late rows that make kept days dirty and the recomputes after them; step
1's candidates from kept and edge counts, table-driven."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.reads import ClickHousePanels
from analytics.dashboards.risk import TOP, TOP_END_USERS, TOP_RECIPIENTS
from analytics.dashboards.suspect_panels import END_USERS, RECIPIENTS, SharedSteps, Steps, TopPanel
from analytics.dashboards.suspect_whole_days import KeptSteps, WholeDays, candidates
from analytics.migrate import migrate
from analytics.rollups.definitions import SUSPECTS
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import hour_splits
from api.staff.risk_dashboard_service import Bucket
from tests.analytics.dashboards.suspect_history import random_orders, replays, store
from tests.analytics.dashboards.test_suspect_panels import _Counting
from tests.analytics.rollups.decision_history import COMPANIES, DAY0, D, H

DAYS = 10
TWENTY = {h: 30 - h for h in range(TOP)}  # hashes 0…19 counting 30…11: the 20th counts 11

# kept counts, edge counts, candidates (None: the list is read by its columns)
CANDIDATES = {
    "kept only: the top 20": (TWENTY, {}, list(range(TOP))),
    "a tie at the 20th is in": (TWENTY | {99: 11}, {}, [*range(TOP), 99]),
    "below the 20th is out": (TWENTY | {99: 10}, {}, list(range(TOP))),
    # 99 counts 12 and ties hash 18 at the 20th; hash 19 (11) drops out
    "edges add to kept counts": (TWENTY | {99: 10}, {99: 2, 0: 1}, [*range(TOP - 1), 99]),
    # not kept: counts at most 1 in the whole days, so 10 + 1 may reach 11
    "an edge hash not kept may reach the 20th": (TWENTY, {500: 10}, [*range(TOP), 500]),
    "an edge hash not kept that cannot": (TWENTY, {500: 9}, list(range(TOP))),
    "it raises the 20th": (TWENTY, {500: 40}, sorted([*range(TOP - 1), 500])),
    "fewer than 20 hashes": ({h: 5 for h in range(TOP - 1)}, {}, None),
    "the 20th below kept_at_least: anyone might tie": ({h: 5 for h in range(TOP - 1)}, {77: 1}, None),
    "edges alone, counting 2 or more": ({}, {h: 2 for h in range(TOP)}, list(range(TOP))),
    "no rows": ({}, {}, None),
}


@pytest.mark.parametrize("case", CANDIDATES)
def test_candidates_hold_every_hash_that_may_reach_the_top(case: str) -> None:
    kept, edges, expected = CANDIDATES[case]
    assert candidates(kept, edges, kept_at_least=2) == expected


def test_whole_days_keeps_the_most_recently_used_keys() -> None:
    whole = WholeDays(keys_kept=2)
    kept = [object(), object(), object()]
    whole.put(("a",), kept[0])  # type: ignore[arg-type]
    whole.put(("b",), kept[1])  # type: ignore[arg-type]
    assert whole.get(("a",)) is kept[0]  # "a" used last: "b" goes first
    whole.put(("c",), kept[2])  # type: ignore[arg-type]
    assert (whole.get(("a",)), whole.get(("b",)), whole.get(("c",)), len(whole)) == (kept[0], None, kept[2], 2)


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    return clickhouse


def _queries(rnd: random.Random, n: int) -> list[PanelQuery]:
    """Ranges of 2 to DAYS + 1 days (whole days in all), some on hour edges, of every company
    (two in three) or of one."""
    out = []
    for _ in range(n):
        span = timedelta(hours=rnd.randrange(48, 24 * (DAYS + 1)))
        start = DAY0 - D + timedelta(milliseconds=rnd.randrange(86_400_000 * 2))
        if rnd.random() < 0.3:
            start = start.replace(minute=0, second=0, microsecond=0)
        company = rnd.choice((None, None, *COMPANIES))
        out.append(PanelQuery(start, start + span, Bucket.for_range(span).seconds, company))
    return out


async def _renders(ch: ClickHouse, whole: WholeDays, queries: list[PanelQuery]) -> tuple[int, int]:
    """Each query rendered twice with kept whole days (cold or warm, then warm) against the
    panels' SQL; (queries of the first renders, of the second)."""
    raw = ClickHousePanels(ch, live=True)
    reads = [TopPanel(top, two_steps_after=timedelta(days=1)) for top in (END_USERS, RECIPIENTS)]
    counts = []
    for render in range(2):
        counting = _Counting(ch)
        for q in queries:
            splits = await hour_splits(ch, (SUSPECTS,), q.time_from, q.time_to)
            params = {"from": q.time_from, "to": q.time_to, "bucket_s": q.bucket_seconds,
                      "company_id": q.company_id or ""}  # fmt: skip
            # As reads.ClickHousePanels: a range without clean whole days reads the rollup's steps.
            two_steps = [r for r in reads if r.two_steps(q)]
            steps: Steps | None = None
            if KeptSteps.applies(q, splits):
                steps = KeptSteps(counting, q, splits, params, reads, whole)  # type: ignore[arg-type]
            elif len(two_steps) > 1:
                steps = SharedSteps(counting, q, splits, params, two_steps)  # type: ignore[arg-type]
            for panel, read in zip((TOP_END_USERS, TOP_RECIPIENTS), reads, strict=True):
                got = await read.rows(counting, q, splits, params, steps)  # type: ignore[arg-type]
                assert list(got) == await raw.rows(panel, q), (render, q, panel.id)
        counts.append(counting.queries)
    return counts[0], counts[1]


async def test_kept_whole_days_answer_like_the_panel_sql_through_late_rows_and_recomputes(ch: ClickHouse) -> None:
    rnd = random.Random(17)
    history = random_orders(rnd, 900, DAYS, end_users=60)
    await store(ch, history)
    await build_missing(ch, SUSPECTS)
    for table in ("flagged_orders", "flagged_decisions"):  # the panels' SQL counts each copy once
        await ch.command(f"OPTIMIZE TABLE {ch.table(table)} FINAL")
    whole = WholeDays(keys_kept=100)  # every range's lists kept
    queries = _queries(rnd, 6)
    assert all([KeptSteps.applies(q, await hour_splits(ch, (SUSPECTS,), q.time_from, q.time_to)) for q in queries])
    cold, warm = await _renders(ch, whole, queries)
    assert warm < cold  # the second renders read the edges only
    assert len(whole) == 2 * len(queries)

    await store(ch, random_orders(rnd, 80, DAYS, "late", end_users=60))  # days dirty: other keys
    await store(ch, replays(rnd, history, 0.1))
    for table in ("flagged_orders", "flagged_decisions"):
        await ch.command(f"OPTIMIZE TABLE {ch.table(table)} FINAL")
    await _renders(ch, whole, queries)
    await refresh_dirty(ch, SUSPECTS)  # recomputed: new computations, new keys
    await _renders(ch, whole, _queries(rnd, 4) + queries[:2])


async def test_the_dashboard_keeps_whole_days_and_answers_like_its_sql(ch: ClickHouse) -> None:
    rnd = random.Random(19)
    await store(ch, random_orders(rnd, 700, DAYS, end_users=60))
    await build_missing(ch, SUSPECTS)
    for table in ("flagged_orders", "flagged_decisions"):
        await ch.command(f"OPTIMIZE TABLE {ch.table(table)} FINAL")
    panels, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    q = PanelQuery(DAY0 + H, DAY0 + (DAYS - 1) * D + 3 * H, Bucket.DAY.seconds, None)  # more than a week
    expected = await raw.rows_of((TOP_END_USERS, TOP_RECIPIENTS), q)
    assert len(expected[0]) == TOP
    for _ in range(3):
        assert await panels.rows_of((TOP_END_USERS, TOP_RECIPIENTS), q) == expected
