"""Fraud cases aggregated from their events in the embedded ClickHouse: open / resolved, the
latest assignment, pattern cases without an order, filters, keyset pages, the timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.fraud_cases_repo import ClickHouseCases, decode_case_key, encode_case_key
from analytics.fraud_rows import CASE_EVENT_COLUMNS, case_event_row
from analytics.migrate import migrate
from domain.fraud import CaseEvent, CaseEventKind, ReviewAction, resolved_by_review
from domain.fraud_views import CaseQuery, CaseStatus, annotation, assignment
from domain.orders import OrderStatus
from tests.builders import T0
from tests.fraud_builders import M, held_order, moved_on, opened, review


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


PATTERN = "case_pattern:card_token:tok9"


@pytest.fixture
async def cases(clickhouse: ClickHouse) -> ClickHouseCases:
    migrate(clickhouse)
    held = [held_order(n, "cmp_b" if n == 3 else "cmp_a") for n in range(5)]
    events = [opened(o) for o in held]
    events.append(CaseEvent(f"{PATTERN}:opened", PATTERN, CaseEventKind.OPENED, T0 + 10 * M, "ring_detector", "",
                            "", "card_token:tok9", "one card paid by 14 users of 3 companies"))  # fmt: skip
    await clickhouse.insert("fraud_case_events", [case_event_row(e) for e in events], CASE_EVENT_COLUMNS)
    repo = ClickHouseCases(clickhouse)
    # Staff act on the aggregated case, as the API does: assign, reassign, note; intake resolves.
    first = await repo.get("case_" + held[0].id)
    assert first is not None
    later = [
        assignment(first, "stf_ann", "stf_lead", "r1", T0 + 20 * M),
        assignment(first, "stf_bob", "stf_lead", "r2", T0 + 21 * M),
        annotation(first, "called the partner", "stf_bob", "r3", T0 + 22 * M),
        resolved_by_review(moved_on(held[0], OrderStatus.DECLINED),
                           replace(review(held[0], ReviewAction.DECLINE), at=T0 + 30 * M)),
    ]
    pattern = await repo.get(PATTERN)
    assert pattern is not None
    later.append(assignment(pattern, "stf_ann", "stf_lead", "r4", T0 + 23 * M))
    await clickhouse.insert("fraud_case_events", [case_event_row(e) for e in later], CASE_EVENT_COLUMNS)
    await clickhouse.insert("fraud_case_events", [case_event_row(e) for e in later], CASE_EVENT_COLUMNS)  # replay
    return repo


async def test_case_state_is_aggregated_from_its_events(cases: ClickHouseCases) -> None:
    case = await cases.get("case_" + held_order(0).id)
    assert case is not None
    assert (case.status, case.assignee, case.company_id, case.order_id) == (
        CaseStatus.RESOLVED, "stf_bob", "cmp_a", held_order(0).id)
    assert case.resolution == "decline: declined" and case.summary == "many users to one card"
    assert case.subject == "end_user:user-0" and case.events == 5 and case.opened_at == T0
    timeline = await cases.events(case.case_id)
    assert [e.kind for e in timeline] == [CaseEventKind.OPENED, CaseEventKind.ASSIGNED, CaseEventKind.ASSIGNED,
                                          CaseEventKind.NOTE, CaseEventKind.RESOLVED]  # fmt: skip
    assert timeline[3].text == "called the partner" and timeline[3].actor == "stf_bob"
    pattern = await cases.get(PATTERN)
    assert pattern is not None and pattern.order_id == "" and pattern.company_id == ""
    assert pattern.status is CaseStatus.OPEN and pattern.assignee == "stf_ann"
    assert await cases.get("case_nothing") is None and await cases.events("case_nothing") == []


async def test_listing_filters_and_pages_newest_first(cases: ClickHouseCases) -> None:
    first, key = await cases.page(CaseQuery(), None, 4)
    assert [c.case_id for c in first] == [PATTERN] + ["case_" + held_order(n).id for n in (4, 3, 2)]
    assert key is not None and decode_case_key(encode_case_key(key) or "") == key
    rest, last = await cases.page(CaseQuery(), key, 4)
    assert [c.case_id for c in rest] == ["case_" + held_order(n).id for n in (1, 0)] and last is None

    open_ones, _ = await cases.page(CaseQuery(status=CaseStatus.OPEN), None, 10)
    assert len(open_ones) == 5 and all(c.status is CaseStatus.OPEN for c in open_ones)
    resolved, _ = await cases.page(CaseQuery(status=CaseStatus.RESOLVED), None, 10)
    assert [c.order_id for c in resolved] == [held_order(0).id]
    company_b, _ = await cases.page(CaseQuery(company_id="cmp_b"), None, 10)
    assert [c.order_id for c in company_b] == [held_order(3).id]
    ann, _ = await cases.page(CaseQuery(assignee="stf_ann"), None, 10)
    assert [c.case_id for c in ann] == [PATTERN]  # case 0 was reassigned to bob
    both, _ = await cases.page(CaseQuery(CaseStatus.RESOLVED, "cmp_a", "stf_bob"), None, 10)
    assert [c.order_id for c in both] == [held_order(0).id]

    for hostile in ("x' OR 1=1 --", "') OR ('1'='1", "{assignee:String}", "cmp_a\x00"):
        assert (await cases.page(CaseQuery(company_id=hostile, assignee=hostile), None, 10))[0] == []
        assert await cases.get(hostile) is None
    window, _ = await cases.page(CaseQuery(), None, 500)
    assert len(window) == 6 and max(c.opened_at for c in window) < T0 + timedelta(hours=1)
