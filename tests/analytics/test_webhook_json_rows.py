"""Delivery-log rows computed by ClickHouse from `webhooks.attempts` JSON equal what the decode
path stores (attempts, latest delivery state, request-log lines with the bare URL); a message
the decoder refuses, or whose URL the SQL does not reduce as urllib does, fails the insert."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.webhook_json_rows import WEBHOOK_ATTEMPT_FROM_JSON
from analytics.webhook_rows import webhook_attempt_row, webhook_delivery_row, webhook_request_row
from domain.webhooks import (
    AttemptRecord,
    AttemptResult,
    DeliveryStatus,
    RetrySchedule,
    WebhookEventType,
    WebhookMessage,
    enqueue,
    record_attempt,
)
from streams.messages import MessageError
from streams.webhook_messages import decode_attempt, encode_attempt
from tests.analytics.json_rows_helpers import second_database, store_both_ways

T0 = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)
CONVERTERS = {
    "webhook_attempts": webhook_attempt_row, "webhook_deliveries": webhook_delivery_row,
    "request_log": webhook_request_row,
}  # fmt: skip
URL = "https://hooks.partner.test/in?token=secret"


def _message(n: int, **changes: Any) -> WebhookMessage:
    message = WebhookMessage(
        id=f"msg_{n:032x}", company_id="cmp_a", event_type=WebhookEventType.ORDER_COMPLETED,
        occurred_at=T0 + timedelta(seconds=n), body='{"type":"order.completed","data":{"id":"ord_1",'
        '"note":"é ✓ \\"q\\" a/b"}}', lane=f"ord_{n}", position=n,
    )  # fmt: skip
    return replace(message, **changes)


def _attempt(n: int, url: str = URL, status: int = 503, error: str = "", tries: int = 1,
             **message: Any) -> bytes:  # fmt: skip
    """Attempt `tries` of message n (0: queued); each a failure but a 2xx."""
    delivery = enqueue(_message(n, **message), T0 + timedelta(seconds=n), RetrySchedule())
    record = AttemptRecord(delivery, delivery.enqueued_at, url if tries else "")
    for k in range(tries):
        at = T0 + timedelta(seconds=n, minutes=k + 1)
        result = AttemptResult(at, url, status, 40 + k, error)
        record = AttemptRecord(record_attempt(record.delivery, result, RetrySchedule()), at, url, status,
                               40 + k, error)  # fmt: skip
    return encode_attempt(record)


def _tricky() -> list[bytes]:
    return [
        _attempt(0, tries=0),  # queued: no call, no request-log line
        _attempt(1, error="ConnectTimeout: timed out after 10 s"),
        _attempt(2, url="https://h.test:8443/x/y;p=1#frag?no", status=204),  # delivered
        _attempt(3, url="https://h.test", tries=3),
        _attempt(4, url="http://h.test/?", error="ünïcødé error " * 10 + ": details"),
        _attempt(5, url="", tries=1),  # no endpoint: no call, no request-log line
        _attempt(6, tries=8, sealed_delivery="k1.c2VhbGVk", event_type=WebhookEventType.BALANCE_LOW,
                 occurred_at=datetime(2026, 11, 26, 14, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2)))),
    ]  # fmt: skip


async def test_rows_equal_the_decoded_rows(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    values = _tricky()
    assert decode_attempt(values[-1]).delivery.status is DeliveryStatus.EXHAUSTED
    with second_database(clickhouse_dsn) as slow:
        found = store_both_ways(clickhouse, slow, values, WEBHOOK_ATTEMPT_FROM_JSON, decode_attempt,
                                CONVERTERS)  # fmt: skip
    for table, (fast, python) in found.items():
        assert fast == python, table
    assert len(found["webhook_attempts"][0]) == len(values)
    paths = sorted(row[5] for row in found["request_log"][0])
    assert paths == ["http://h.test/", "https://h.test", "https://h.test:8443/x/y;p=1",
                     "https://hooks.partner.test/in", "https://hooks.partner.test/in"]  # fmt: skip


_GOOD = orjson.loads(_attempt(7))


def _with(**fields: Any) -> bytes:
    return orjson.dumps(_GOOD | fields)


def _delivery(**fields: Any) -> bytes:
    return _with(delivery=_GOOD["delivery"] | fields)


def _message_with(**fields: Any) -> bytes:
    return _delivery(message=_GOOD["delivery"]["message"] | fields)


DECODER_REFUSES = {
    "unknown status": _delivery(status="lost"),
    "unknown event type": _message_with(event_type="order.teleported"),
    "a port urllib refuses": _with(url="https://h.test:99999/in"),
    "not a time": _with(at="yesterday"),
    "no message id": _delivery(message={k: v for k, v in _GOOD["delivery"]["message"].items() if k != "id"}),
    "sealed delivery not a text": _message_with(sealed_delivery=5),
    "invalid UTF-8": _with(error="x").replace(b'"x"', b'"\xff"'),
    "lone surrogate": _with(error="x").replace(b'"x"', b'"\\ud800"'),
}
UNSUPPORTED = {  # urllib reduces these URLs otherwise than the SQL would: refused
    "upper-case host": _with(url="https://Hooks.test/in"),
    "credentials": _with(url="https://user:pw@hooks.test/in"),
    "IPv6": _with(url="https://[::1]:8443/in"),
    "port with a leading zero": _with(url="https://hooks.test:0443/in"),
    "a space": _with(url="https://hooks.test/a b"),
    "a number for a text": _message_with(lane=5),
    "written before rounds": _with(delivery={k: v for k, v in _GOOD["delivery"].items() if k != "round"}),
}


@pytest.mark.parametrize("bad", [*DECODER_REFUSES.values(), *UNSUPPORTED.values()],
                         ids=[*DECODER_REFUSES, *UNSUPPORTED])  # fmt: skip
async def test_a_message_the_sql_cannot_store_exactly_fails_the_insert(
    clickhouse: ClickHouse, bad: bytes
) -> None:
    migrate(clickhouse)
    with pytest.raises(Exception):  # noqa: B017 - whatever ClickHouse raises: the sink decodes
        await clickhouse.insert_from_json([_attempt(8), bad], WEBHOOK_ATTEMPT_FROM_JSON)


@pytest.mark.parametrize("message", DECODER_REFUSES.values(), ids=DECODER_REFUSES.keys())
def test_the_decoder_refuses_these(message: bytes) -> None:
    with pytest.raises((MessageError, ValueError)):
        record = decode_attempt(message)
        [convert(record) for convert in CONVERTERS.values()]  # the URL's port: at conversion
