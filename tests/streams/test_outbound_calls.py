"""Provider calls become outbound request-log records under the company of their order."""

from __future__ import annotations

from datetime import timedelta

from providers.base import CallRecord
from streams.outbound_calls import MAX_LOGGED_BODY, OutboundCallLog
from tests.builders import T0


def _call(order_id: str = "ord_1", **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "provider": "bank-a", "method": "POST", "path": "/bank-a/v1/transfers", "order_id": order_id,
        "status": 201, "duration_ms": 12.4, "request_body": {"card_number": "411111******1111"},
        "response_body": {"status": "completed"},
    }  # fmt: skip
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def _log() -> OutboundCallLog:
    return OutboundCallLog("requests.log", clock=lambda: T0, new_id=lambda at: "id-1")


def test_a_call_during_a_payout_is_logged_under_its_company_and_order() -> None:
    log = _log()
    with log.payout("ord_1", "cmp_a"):
        log(_call())
    [record] = log.drain()
    assert (record.direction, record.company_id, record.correlation_id, record.idempotency_key) == (
        "outbound", "cmp_a", "ord_1", "ord_1",
    )  # fmt: skip
    assert (record.method, record.path, record.status, record.duration_ms) == (
        "POST", "/bank-a/v1/transfers", 201, 12,
    )  # fmt: skip
    assert record.at == T0 - timedelta(milliseconds=12.4)
    assert record.request_body == '{"card_number":"411111******1111"}'
    assert record.response_body == '{"status":"completed"}'
    assert log.drain() == []  # handed over once


def test_a_call_without_a_response_keeps_its_error() -> None:
    log = _log()
    with log.payout("ord_1", "cmp_a"):
        log(_call(status=None, response_body=None, error="ReadTimeout"))
    [record] = log.drain()
    assert (record.status, record.response_body, record.error_type) == (0, "", "ReadTimeout")


def test_the_company_is_known_until_the_last_copy_of_a_redelivered_payout_ends() -> None:
    log = _log()
    with log.payout("ord_1", "cmp_a"):
        with log.payout("ord_1", "cmp_a"):  # the same order twice in one batch
            pass
        log(_call())
    log(_call())  # after the payout: the company is no longer known
    assert [r.company_id for r in log.drain()] == ["cmp_a", ""]


def test_bodies_are_capped() -> None:
    log = _log()
    log(_call(response_body={"text": "x" * (MAX_LOGGED_BODY * 2)}))
    [record] = log.drain()
    assert len(record.response_body) < MAX_LOGGED_BODY + 40 and record.response_body.endswith("more chars]")
