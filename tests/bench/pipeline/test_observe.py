from datetime import UTC, datetime

from bench.pipeline.observe import WebhookReceiver, order_status
from domain.events import events_for
from domain.intake import received_order
from domain.orders import OrderStatus
from streams.messages import encode_order_event
from tests.builders import order_request


def test_order_status_reads_the_latest_status_of_an_encoded_event() -> None:
    order = received_order(order_request()).transition(OrderStatus.APPROVED, "ok", datetime.now(UTC))
    raw = encode_order_event(events_for(order)[-1])
    assert order_status(raw) == (order.id, "approved")


def test_order_status_of_hostile_bytes_is_none() -> None:
    for raw in (b"", b"not json", b"[]", b'{"order": {"id": "x", "history": []}}', b'{"order": 5}'):
        assert order_status(raw) is None


def test_webhook_receiver_records_the_first_delivery_per_order() -> None:
    hooks = WebhookReceiver()
    hooks._record(b'{"type": "order.completed", "data": {"id": "ord_1"}}')
    first = hooks.received["ord_1"]
    hooks._record(b'{"type": "order.completed", "data": {"id": "ord_1"}}')
    hooks._record(b"garbage")
    assert hooks.received == {"ord_1": first}
    assert hooks.deliveries == 3
