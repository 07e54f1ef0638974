"""The cross-company pattern queries on the embedded ClickHouse, and the detector round that
turns their hits into list blocks and cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.fraud_patterns import find_patterns
from analytics.fraud_rows import CASE_EVENT_COLUMNS, case_event_row
from analytics.migrate import migrate
from detectors.lists import ListEntry, ListKind
from detectors.patterns import PatternKind, PatternThresholds, case_id_for
from domain.fraud import CaseEvent, CaseEventKind
from domain.orders import EndUser, Recipient, RecipientKind
from streams.pattern_detector import PatternConfig, detect_once
from tests.builders import T0
from tests.domain.ledger_builders import approved_order


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


THRESHOLDS = PatternThresholds(min_companies=2, min_end_users=3)


def order(n: int, company: str, user: str, token: str = "", phone: str = "", device: str = "") -> tuple:
    o = approved_order()
    recipient = (Recipient(RecipientKind.CARD, card_token=token, card_bin="400000", card_last4="0002")
                 if token else Recipient(RecipientKind.PHONE, phone=phone))  # fmt: skip
    o = replace(o, id=f"ord_{n}", company_id=company, recipient=recipient, sandbox=False,
                end_user=EndUser(user, device_id=device or None), created_at=T0 + timedelta(minutes=n))  # fmt: skip
    return rows.order_row(o)


def load(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    data = [
        # A mule card: 4 users of 3 companies. A busy card of one company: 6 users, 1 company.
        order(1, "c1", "u1", token="tok_mule"), order(2, "c2", "u2", token="tok_mule"),
        order(3, "c3", "u3", token="tok_mule"), order(4, "c3", "u4", token="tok_mule"),
        *[order(10 + i, "c1", f"v{i}", token="tok_busy") for i in range(6)],
        # One device behind users of two companies, paying phones.
        order(20, "c1", "w1", phone="+491511111", device="dev_ring"),
        order(21, "c2", "w2", phone="+491512222", device="dev_ring"),
        order(22, "c2", "w3", phone="+491513333", device="dev_ring"),
    ]
    clickhouse.insert_sync("orders", data, rows.ORDER_COLUMNS)


async def test_patterns_span_companies_and_users(clickhouse: ClickHouse) -> None:
    load(clickhouse)
    since = T0 - timedelta(hours=1)
    [card] = await find_patterns(clickhouse, PatternKind.SHARED_RECIPIENT_CARD, since, THRESHOLDS, False)
    assert (card.subject, card.companies, card.end_users, card.orders) == ("tok_mule", 3, 4, 4)
    [device] = await find_patterns(clickhouse, PatternKind.SHARED_DEVICE, since, THRESHOLDS, False)
    assert (device.subject, device.companies, device.end_users) == ("dev_ring", 2, 3)
    assert await find_patterns(clickhouse, PatternKind.SHARED_RECIPIENT_PHONE, since, THRESHOLDS, False) == []
    # Outside the window, or sandbox-only when sandbox is left out: nothing.
    assert await find_patterns(clickhouse, PatternKind.SHARED_DEVICE, T0 + timedelta(hours=1), THRESHOLDS) == []


async def test_a_round_blocks_and_opens_cases_until_an_analyst_resolves_one(clickhouse: ClickHouse) -> None:
    load(clickhouse)
    entries: list[ListEntry] = []
    cases: list[CaseEvent] = []

    async def put(entry: ListEntry) -> None:
        entries.append(entry)

    async def publish(event: CaseEvent) -> None:
        cases.append(event)

    async def find(kind: PatternKind, since: object, t: PatternThresholds) -> list:
        return await find_patterns(clickhouse, kind, since, t, False)  # type: ignore[arg-type]

    config = PatternConfig(window=timedelta(hours=2), thresholds=THRESHOLDS)
    now = T0 + timedelta(hours=1)
    hits = await detect_once(find, put, publish, config, now)
    assert {(e.kind, e.value, e.scope) for e in entries} == {(ListKind.CARD_TOKEN, "tok_mule", None),
                                                             (ListKind.DEVICE, "dev_ring", None)}  # fmt: skip
    assert all(e.expires_at == now + timedelta(days=30) for e in entries)
    assert [c.case_id for c in cases] == [case_id_for(h) for h in hits]
    assert "4 end users of 3 companies" in next(c.text for c in cases if "card" in c.subject)

    # The analyst dismisses the card's case: the next round leaves that pattern alone.
    card_case = next(c for c in cases if "card" in c.subject)
    resolved = CaseEvent("e1", card_case.case_id, CaseEventKind.RESOLVED, now, "ana", text="dismissed")
    clickhouse.insert_sync("fraud_case_events", [case_event_row(resolved)], CASE_EVENT_COLUMNS)
    entries.clear()
    await detect_once(find, put, publish, config, now)
    assert [e.kind for e in entries] == [ListKind.DEVICE]
