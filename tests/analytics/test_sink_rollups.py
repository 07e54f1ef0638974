"""The sink marks the days each batch touched, so the daily rollups follow it: through the real
broker, a workload's days are dirty after the sink wrote them, a refresh makes the rollup
answer, and a replay of every topic marks them again and, refreshed, changes no aggregate and
no statement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.reports.aggregates import AggregateRow, GroupBy, aggregate_orders
from analytics.reports.filters import TransactionFilter
from analytics.reports.statements import ClickHouseStatements, Statement
from analytics.rollups.definitions import LEDGER, ORDERS
from analytics.rollups.refresh import refresh_dirty
from analytics.rollups.state import day_states, period_split
from tests.analytics.replay_workload import COMPANIES
from tests.analytics.test_sink_replay import SinkRuns
from tests.builders import T0

pytestmark = pytest.mark.kafka
D, H = timedelta(days=1), timedelta(hours=1)
FIRST = T0.replace(hour=0, minute=0, second=0, microsecond=0) - 2 * D  # the workload's first day
DAYS = {(FIRST + n * D).date() for n in range(3)}
WHOLE = (FIRST, FIRST + 3 * D)
PARTIAL = (FIRST + 5 * H, T0 - 2 * H)
ROLLUPS = (ORDERS, LEDGER)  # the workload has no decisions (test_rollup_panels covers theirs)
Answers = tuple[dict[str, list[AggregateRow]], dict[str, Statement]]


async def _answers(ch: ClickHouse, live: bool = False) -> Answers:
    aggregates = {}
    for name, (start, end) in (("whole", WHOLE), ("partial", PARTIAL)):
        f = TransactionFilter(created_from=start, created_to=end)
        for by in ([GroupBy.DAY, GroupBy.COMPANY], [GroupBy.STATUS, GroupBy.PRODUCT_TYPE]):
            aggregates[f"{name} {by}"] = await aggregate_orders(ch, by, f, live=live)
    statements = ClickHouseStatements(ch)
    found = {
        f"{name} {company}": await statements.statement(company, "EUR", start, end, live=live)
        for name, (start, end) in (("whole", WHOLE), ("partial", PARTIAL)) for company in COMPANIES
    }  # fmt: skip
    return aggregates, found


async def _dirty(ch: ClickHouse) -> dict[str, set]:
    return {r.name: {d for d, s in (await day_states(ch, r)).items() if s.dirty} for r in ROLLUPS}


async def _refresh(ch: ClickHouse) -> None:
    for rollup in ROLLUPS:
        await refresh_dirty(ch, rollup)
    for rollup in ROLLUPS:  # the whole period comes from the rollups now
        split = await period_split(ch, rollup, *WHOLE)
        assert {d for d, _ in split.rollup_days} == DAYS and split.live == ()


async def test_the_sink_marks_its_days_and_a_replay_then_a_refresh_changes_no_answer(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    runs = await SinkRuns.published(kafka_bootstrap, topic_prefix, clickhouse)
    await runs.run()

    assert await _dirty(clickhouse) == {ORDERS.name: DAYS, LEDGER.name: DAYS}
    live = await _answers(clickhouse, live=True)
    assert await _answers(clickhouse) == live  # dirty: read live
    assert any(s.movements for s in live[1].values()) and all(live[0].values())
    await _refresh(clickhouse)
    assert await _dirty(clickhouse) == {ORDERS.name: set(), LEDGER.name: set()}
    assert await _answers(clickhouse) == live

    await runs.replay()
    assert await _dirty(clickhouse) == {ORDERS.name: DAYS, LEDGER.name: DAYS}  # replayed: marked again
    assert await _answers(clickhouse) == live
    await _refresh(clickhouse)
    assert await _answers(clickhouse) == live
    assert await _answers(clickhouse, live=True) == live

