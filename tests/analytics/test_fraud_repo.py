"""Fraud review reads against the embedded ClickHouse: the review queue (latest state only,
oldest first, filters, keyset pages), decisions, assignees, order refs, rule hit counts, and
hostile filter values that stay plain values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.fraud_repo import ClickHouseFraudReads, decode_queue_key, encode_queue_key
from analytics.fraud_rows import CASE_EVENT_COLUMNS, DECISION_COLUMNS, case_event_row, decision_row
from analytics.migrate import migrate
from analytics.rows import ORDER_COLUMNS, order_row
from domain.errors import InvalidCursor
from domain.fraud import CaseEvent, CaseEventKind
from analytics.fraud_cases_repo import encode_case_key
from domain.fraud_views import CaseKey, QueueKey, QueueQuery
from domain.orders import Order, OrderStatus
from tests.builders import T0
from tests.fraud_builders import M, assessment, decision, held_order, moved_on, opened, order_id


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


HOSTILE = ["x' OR 1=1 --", "cmp_a'; DROP TABLE orders; --", "\\' OR ''='", "🙂\x00", "{company_id:String}"]


def _assigned(order: Order, analyst: str, minute: int) -> CaseEvent:
    case = f"case_{order.id}"
    return CaseEvent(f"{case}:assigned:{minute}", case, CaseEventKind.ASSIGNED, T0 + minute * M, "stf_lead",
                     order.company_id, order.id, "", analyst)  # fmt: skip


@pytest.fixture
async def reads(clickhouse: ClickHouse) -> ClickHouseFraudReads:
    migrate(clickhouse)
    held = [held_order(n, "cmp_b" if n == 4 else "cmp_a") for n in range(8)]
    approved_later = moved_on(held[2], OrderStatus.APPROVED)  # left the queue
    fine = held_order(9, status=OrderStatus.APPROVED)  # never held
    orders = [*held, approved_later, fine]
    await clickhouse.insert("orders", [order_row(o) for o in orders], ORDER_COLUMNS)
    await clickhouse.insert("orders", [order_row(o) for o in held[:3]], ORDER_COLUMNS)  # replayed
    decisions = [decision(o) for o in held] + [decision(fine, assessment(OrderStatus.APPROVED, None))]
    await clickhouse.insert("decisions", [decision_row(d) for d in decisions], DECISION_COLUMNS)
    await clickhouse.insert("decisions", [decision_row(d) for d in decisions[:2]], DECISION_COLUMNS)
    events = [opened(o) for o in held] + [
        _assigned(held[1], "stf_ann", 30), _assigned(held[1], "stf_bob", 31),  # reassigned: bob
        _assigned(held[3], "stf_ann", 32), _assigned(held[4], "stf_ann", 33),
    ]  # fmt: skip
    await clickhouse.insert("fraud_case_events", [case_event_row(e) for e in events], CASE_EVENT_COLUMNS)
    return ClickHouseFraudReads(clickhouse)


async def test_queue_holds_orders_in_review_now_oldest_first_in_pages(reads: ClickHouseFraudReads) -> None:
    first, key = await reads.queue(QueueQuery(), None, 3)
    assert [o.order_id for o in first] == [order_id(0), order_id(1), order_id(3)]  # 2 was approved since
    assert first[0].amount_value == 1000 and first[0].currency == "EUR" and first[0].end_user_id == "user-0"
    assert key is not None and decode_queue_key(encode_queue_key(key) or "") == key
    rest, last = await reads.queue(QueueQuery(), key, 10)
    assert [o.order_id for o in rest] == [order_id(n) for n in (4, 5, 6, 7)] and last is None


async def test_queue_filters_by_company_and_assignee(reads: ClickHouseFraudReads) -> None:
    mine, _ = await reads.queue(QueueQuery(company_id="cmp_b"), None, 10)
    assert [o.order_id for o in mine] == [order_id(4)]
    ann, _ = await reads.queue(QueueQuery(assignee="stf_ann"), None, 10)
    assert [o.order_id for o in ann] == [order_id(3), order_id(4)]  # order 1 went to bob
    bob, _ = await reads.queue(QueueQuery(company_id="cmp_a", assignee="stf_bob"), None, 10)
    assert [o.order_id for o in bob] == [order_id(1)]
    assert await reads.assignees([order_id(1), order_id(3), order_id(5)]) == {order_id(1): "stf_bob",
                                                                              order_id(3): "stf_ann"}  # fmt: skip


async def test_decisions_read_back_whole(reads: ClickHouseFraudReads) -> None:
    d = await reads.decision(order_id(1))
    assert d is not None and d.outcome == "in_review" and d.score == pytest.approx(0.87) and d.points == 40
    assert d.fired_rules == ("many_to_one@3",) and d.shadow_rules == ("card_testing@1",)
    assert d.reasons == ("many users to one card",) and d.model == "m-7"
    assert d.top_features == ("distinct_users_24h", "amount_ratio")
    assert d.features == {"amount_ratio": 3.5, "distinct_users_24h": 9.0}
    no_model = await reads.decision(order_id(9))
    assert no_model is not None and no_model.score is None and no_model.outcome == "approved"
    assert await reads.decision(order_id(99)) is None
    many = await reads.decisions([order_id(0), order_id(1), order_id(99)])
    assert sorted(many) == [order_id(0), order_id(1)]


async def test_order_ref_is_the_latest_version(reads: ClickHouseFraudReads) -> None:
    ref = await reads.order_ref(order_id(2))
    assert ref is not None and (ref.company_id, ref.idempotency_key, ref.status) == ("cmp_a", "idem-2", "approved")
    assert await reads.order_ref(order_id(99)) is None


async def test_rule_stats_count_fired_and_shadow_hits_in_the_range(reads: ClickHouseFraudReads) -> None:
    everything = await reads.rule_stats(T0, T0 + timedelta(days=1), None)
    assert everything.decisions == 9
    hits = {r.rule: (r.fired, r.shadow) for r in everything.rules}
    assert hits == {"many_to_one@3": (9, 0), "card_testing@1": (0, 9)}
    assert {(r.rule_id, r.version) for r in everything.rules} == {("many_to_one", "3"), ("card_testing", "1")}
    one = await reads.rule_stats(T0, T0 + 2 * M, "cmp_a")  # orders 0 and 1
    assert one.decisions == 2 and {r.rule: r.fired + r.shadow for r in one.rules} == {"many_to_one@3": 2,
                                                                                      "card_testing@1": 2}  # fmt: skip
    none = await reads.rule_stats(T0 - timedelta(days=2), T0 - timedelta(days=1), None)
    assert none.decisions == 0 and none.rules == ()


async def test_hostile_filter_values_are_plain_values(reads: ClickHouseFraudReads) -> None:
    for value in HOSTILE:
        assert (await reads.queue(QueueQuery(company_id=value), None, 10))[0] == []
        assert (await reads.queue(QueueQuery(assignee=value), None, 10))[0] == []
        assert await reads.order_ref(value) is None and await reads.decision(value) is None
        assert (await reads.rule_stats(T0, T0 + timedelta(days=1), value)).decisions == 0
    assert len((await reads.queue(QueueQuery(), None, 10))[0]) == 7  # nothing dropped


def test_foreign_or_edited_cursors_are_refused() -> None:
    assert encode_queue_key(None) is None
    token = encode_queue_key(QueueKey(T0, order_id(1)))
    other_listing = encode_case_key(CaseKey(T0, "case_x"))
    assert token is not None and other_listing is not None
    for bad in ("not-a-cursor", "", "x" * 2000, token[:-2] + "AA", other_listing):
        with pytest.raises(InvalidCursor):
            decode_queue_key(bad)
