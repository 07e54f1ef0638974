"""Webhook rules: Standard Webhooks signatures, the retry schedule, payloads, lanes."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.events import events_for
from domain.ledger import LowBalance
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from domain.webhook_events import low_balance_message, message_id_for, order_message
from domain.webhook_outbox import Outbox
from domain.webhooks import (
    AttemptResult, DeliveryStatus, RetrySchedule, WebhookEventType, enqueue,
    record_attempt, signature, signed_headers, signing_key,
)  # fmt: skip
from tests.builders import T0


def new_signing_secret(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode()


SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
S = timedelta(seconds=1)


# --- signing ---

# (secret, id, timestamp, body, expected signature): the first row is the example from the
# Standard Webhooks specification, so the byte layout is pinned by someone else's numbers.
SIGNATURES = [
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
     '{"test": 2432232314}', "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
]  # fmt: skip


@pytest.mark.parametrize(("secret", "msg_id", "ts", "body", "expected"), SIGNATURES)
def test_signature_matches_the_specification_example(secret: str, msg_id: str, ts: int, body: str, expected: str) -> None:
    assert signature(secret, msg_id, ts, body) == expected


@pytest.mark.parametrize("body", ['{"a":1}', '{"type":"order.completed","data":{"é":"ünïcode"}}', "{}", "[]"])
@pytest.mark.parametrize("secret", [SECRET, new_signing_secret(b"\xff" * 24), new_signing_secret(b"\x01" * 64)])
def test_the_official_library_verifies_what_we_sign(secret: str, body: str) -> None:
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    Webhook(secret).verify(body.encode(), headers)  # raises if wrong


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"webhook-id": "msg_2"}, "another id"),
        ({"webhook-timestamp": str(int(datetime.now(UTC).timestamp()) - 100)}, "another timestamp"),
        ({"webhook-signature": "v1,AAAA"}, "a forged signature"),
    ],
)
def test_a_tampered_message_does_not_verify(change: dict[str, str], why: str) -> None:
    headers = {**signed_headers(SECRET, "msg_1", datetime.now(UTC) - S, '{"a":1}'), **change}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"a":1}', headers)


def test_another_secret_or_body_does_not_verify() -> None:
    headers = signed_headers(SECRET, "msg_1", datetime.now(UTC), '{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(new_signing_secret(b"\x07" * 32)).verify(b'{"a":1}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"a":2}', headers)


def test_the_timestamp_header_is_unix_seconds_of_the_attempt() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 999_000, tzinfo=UTC)
    assert signed_headers(SECRET, "m", at, "{}")["webhook-timestamp"] == str(int(at.timestamp()))


@pytest.mark.parametrize("bad", ["whsec_", "whsec_not base64!", "", "whsec_@@@@"])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        signing_key(bad)


# --- retry schedule ---

SCHEDULE = RetrySchedule()


def test_default_schedule_is_exponential_and_within_a_day() -> None:
    delays = SCHEDULE.delays
    assert delays[0] == timedelta(0)
    assert all(b > a for a, b in zip(delays, delays[1:]))
    assert sum(delays, timedelta(0)) <= timedelta(hours=24)


@pytest.mark.parametrize(
    ("delays", "why"),
    [((), "no attempt"), ((timedelta(hours=20), timedelta(hours=5)), "over 24 h"), ((-S,), "negative")],
)
def test_bad_schedules_are_refused(delays: tuple[timedelta, ...], why: str) -> None:
    with pytest.raises(ValueError):
        RetrySchedule(delays)


def _failure(at: datetime, status: int = 503) -> AttemptResult:
    return AttemptResult(at, "https://p.test/hook", status, 12)


# (attempts already failed, expected delay before the next; None: exhausted)
NEXT = [
    (0, timedelta(seconds=5)), (1, timedelta(minutes=5)), (2, timedelta(minutes=30)), (3, timedelta(hours=2)),
    (4, timedelta(hours=5)), (5, timedelta(hours=10)), (6, None),
]  # fmt: skip


@pytest.mark.parametrize(("failed_before", "delay"), NEXT)
def test_each_failure_schedules_the_next_attempt(failed_before: int, delay: timedelta | None) -> None:
    message = order_message(_event(OrderStatus.COMPLETED))
    assert message is not None
    delivery = replace(enqueue(message, T0, SCHEDULE), attempts=failed_before)
    at = T0 + timedelta(minutes=1)
    after = record_attempt(delivery, _failure(at), SCHEDULE)
    assert after.attempts == failed_before + 1
    if delay is None:
        assert (after.status, after.next_attempt_at) == (DeliveryStatus.EXHAUSTED, None)
    else:
        assert (after.status, after.next_attempt_at) == (DeliveryStatus.RETRYING, at + delay)


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (204, True), (299, True), (301, False),
                                                    (400, False), (410, False), (500, False), (0, False)])
def test_only_2xx_delivers(status: int, delivered: bool) -> None:
    message = order_message(_event(OrderStatus.FAILED))
    assert message is not None
    after = record_attempt(enqueue(message, T0, SCHEDULE), _failure(T0, status), SCHEDULE)
    assert (after.status is DeliveryStatus.DELIVERED) is delivered


def test_no_retry_is_scheduled_past_a_day_after_queueing() -> None:
    message = order_message(_event(OrderStatus.COMPLETED))
    assert message is not None
    late = T0 + timedelta(hours=20)  # it waited behind an earlier message of its order
    after = record_attempt(enqueue(message, T0, SCHEDULE), _failure(late), SCHEDULE)
    assert after.status is DeliveryStatus.RETRYING  # +5 s is still within the day
    after = record_attempt(replace(after, attempts=2), _failure(late), SCHEDULE)  # +30 min: still fine
    assert after.status is DeliveryStatus.RETRYING
    after = record_attempt(replace(after, attempts=3), _failure(late + timedelta(hours=3)), SCHEDULE)
    assert after.status is DeliveryStatus.EXHAUSTED  # +2 h would pass 24 h


# --- payloads ---


def _order(*statuses: OrderStatus, reason: str = "because") -> Order:
    order = Order(
        id="ord_1", company_id="cmp_a", idempotency_key="k", product_id="gift-25",
        amount=Money(2500, "EUR"), recipient=Recipient(RecipientKind.CARD, card_token="tok", card_bin="411111",
                                                       card_last4="1111", card_ciphertext="k1.secret"),
        end_user=EndUser("user-7", ip="203.0.113.9", email="u@x.test"), created_at=T0,
        history=(StatusChange(OrderStatus.RECEIVED, "received", T0),), external_id="ext-9",
        metadata={"campaign": "x"}, fee=99, delivery="k1.sealed-code",
    )  # fmt: skip
    for i, status in enumerate(statuses, 1):
        order = order.transition(status, reason, T0 + i * S)
    return order


def _event(*statuses: OrderStatus, reason: str = "because"):  # type: ignore[no-untyped-def]
    return events_for(_order(*statuses, reason=reason))[-1]


PAYLOADS = [
    ((OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED),
     "order.completed", "paid by bank_a"),
    ((OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.FAILED),
     "order.failed", "declined by bank_a: card expired"),
    ((OrderStatus.DECLINED,), "order.declined", "rule high_velocity"),
    ((OrderStatus.IN_REVIEW,), "order.in_review", "score 0.93"),
]  # fmt: skip


@pytest.mark.parametrize(("statuses", "event_type", "reason"), PAYLOADS)
def test_order_statuses_map_to_events_with_the_reason(statuses: tuple[OrderStatus, ...], event_type: str, reason: str) -> None:
    event = _event(*statuses, reason=reason)
    message = order_message(event)
    assert message is not None
    payload = json.loads(message.body)
    assert payload["type"] == event_type == message.event_type.value
    assert payload["timestamp"] == (T0 + len(statuses) * S).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    data = payload["data"]
    assert data == {
        "object": "order", "id": "ord_1", "status": statuses[-1].value, "reason": reason,
        "amount": {"value": 2500, "currency": "EUR"}, "fee": {"value": 99, "currency": "EUR"},
        "product_id": "gift-25", "external_id": "ext-9", "end_user": {"id": "user-7"},
        "recipient": {"type": "card", "card_last4": "1111"}, "metadata": {"campaign": "x"},
        "sandbox": True, "created_at": "2026-11-26T12:00:00.123Z", "updated_at": payload["timestamp"],
    }  # fmt: skip
    assert (message.lane, message.position, message.company_id) == ("ord_1", len(statuses) + 1, "cmp_a")
    for secret in ("k1.secret", "tok", "411111", "203.0.113.9", "u@x.test", "k1.sealed-code"):
        assert secret not in message.body


def test_a_completed_orders_delivery_is_opened_only_in_the_body_sent() -> None:
    completed = (OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED)
    message = order_message(_event(*completed))
    assert message is not None and message.sealed_delivery == "k1.sealed-code"
    opened: list[str] = []

    def reveal(sealed: str) -> str:
        opened.append(sealed)
        return '{"code":"AMZ-7Q2X"}'

    sent = message.body_to_send(reveal)
    assert opened == ["k1.sealed-code"] and "AMZ-7Q2X" not in message.body  # stored body: no code
    assert json.loads(sent)["data"]["delivery"] == {"code": "AMZ-7Q2X"}
    Webhook(SECRET).verify(sent.encode(), signed_headers(SECRET, message.id, datetime.now(UTC), sent))
    failed = order_message(_event(OrderStatus.APPROVED, OrderStatus.FAILED))
    assert failed is not None and failed.sealed_delivery is None
    assert failed.body_to_send(reveal) == failed.body


@pytest.mark.parametrize("status", [OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED,
                                    OrderStatus.REJECTED])
def test_intermediate_statuses_are_not_sent(status: OrderStatus) -> None:
    assert order_message(_event(status)) is None


def test_message_ids_are_deterministic_per_event_and_company() -> None:
    first, again = order_message(_event(OrderStatus.DECLINED)), order_message(_event(OrderStatus.DECLINED))
    assert first is not None and again is not None
    assert first.id == again.id and first.body == again.body
    assert first.id.startswith("msg_") and len(first.id) == 36
    assert message_id_for("cmp_a", "ord_1:2") != message_id_for("cmp_b", "ord_1:2")
    assert message_id_for("cmp_a", "ord_1:2") != message_id_for("cmp_a", "ord_1:3")


def test_low_balance_payload() -> None:
    message = low_balance_message(LowBalance("cmp_a", "EUR", 4_000, 5_000, T0))
    assert message.event_type is WebhookEventType.BALANCE_LOW
    assert json.loads(message.body) == {
        "type": "balance.low", "timestamp": "2026-11-26T12:00:00.123Z",
        "data": {"object": "balance", "currency": "EUR", "available": 4000, "threshold": 5000},
    }  # fmt: skip
    assert message.id == low_balance_message(LowBalance("cmp_a", "EUR", 4_000, 5_000, T0)).id
    assert message.id != low_balance_message(LowBalance("cmp_a", "USD", 4_000, 5_000, T0)).id


# --- lanes ---


def _delivery(order_id: str, sequence: int, at: datetime = T0, round_id: str = ""):  # type: ignore[no-untyped-def]
    message = order_message(_event(OrderStatus.IN_REVIEW))
    assert message is not None
    message = replace(message, id=f"msg_{order_id}_{sequence}", lane=order_id, position=sequence)
    return enqueue(message, at, SCHEDULE, round_id)


def test_only_the_head_of_each_lane_is_due_and_lanes_are_independent() -> None:
    outbox = Outbox()
    for d in (_delivery("o1", 3), _delivery("o1", 2), _delivery("o2", 5)):
        outbox.add(d)
    due = outbox.due(T0, limit=10)
    assert [d.message.id for d in due] == ["msg_o1_2", "msg_o2_5"]
    assert outbox.due(T0, limit=1) == due[:1]
    outbox.in_flight.add("msg_o1_2")
    head = outbox.get("msg_o1_2")
    assert head is not None
    failed = record_attempt(head, _failure(T0), SCHEDULE)
    assert outbox.settle(head, failed)
    assert [d.message.id for d in outbox.due(T0, 10)] == ["msg_o2_5"]  # o1 waits for its retry
    assert outbox.next_due_at() == T0
    assert [d.message.id for d in outbox.due(T0 + 5 * S, 10)] == ["msg_o2_5", "msg_o1_2"]  # by due time
    delivered = record_attempt(failed, AttemptResult(T0, "u", 200, 1), SCHEDULE)
    assert outbox.settle(failed, delivered)
    assert {d.message.id for d in outbox.due(T0 + 5 * S, 10)} == {"msg_o1_3", "msg_o2_5"}
    assert len(outbox) == 2


def test_a_replay_replaces_the_queued_round_and_a_stale_outcome_is_ignored() -> None:
    outbox = Outbox()
    old = _delivery("o1", 2)
    outbox.add(old)
    outbox.in_flight.add(old.message.id)
    outbox.add(_delivery("o1", 2, round_id="rpl_1"))
    assert not outbox.settle(old, record_attempt(old, AttemptResult(T0, "u", 200, 1), SCHEDULE))
    queued = outbox.get(old.message.id)
    assert queued is not None and queued.round == "rpl_1" and len(outbox) == 1
