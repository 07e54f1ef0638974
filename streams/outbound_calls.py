"""Outbound provider calls as request-log records, for dispatch to produce with its results.

The adapters report every HTTP call through their synchronous `on_call` hook, knowing only the
order id. Dispatch tells this log which company each order belongs to while its payout is in
flight, and drains the records it collected before it commits its offsets: a clean path never
loses a log line. After a crash the redelivered payouts make (and log) their calls again.
The records were sanitized by the adapters (no PAN, CVV, expiry or gift code); bodies are only
serialized and capped here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import orjson

from providers.base import CallRecord
from streams.messages import RequestLogRecord

OUTBOUND = "outbound"
MAX_LOGGED_BODY = 4096  # as for inbound bodies: enough to debug, bounded per row
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def new_call_id(at: datetime) -> str:
    """32 hex chars like inbound request ids: milliseconds first, so ids sort by time."""
    return f"{int(at.timestamp() * 1000):012x}{os.urandom(10).hex()}"


def _body(body: dict[str, object] | None) -> str:
    if body is None:
        return ""
    text = orjson.dumps(body).decode()
    if len(text) > MAX_LOGGED_BODY:
        return text[:MAX_LOGGED_BODY] + f"…[{len(text) - MAX_LOGGED_BODY} more chars]"
    return text


def outbound_record(
    call: CallRecord, company_id: str, finished_at: datetime, request_id: str
) -> RequestLogRecord:
    """One provider call as a request-log row: correlated with its order, keyed by its company.
    The path names the provider (its URL prefix, e.g. /bank-a/v1/transfers)."""
    return RequestLogRecord(
        request_id=request_id,
        direction=OUTBOUND,
        at=finished_at - timedelta(milliseconds=call.duration_ms),  # when the call started
        company_id=company_id,
        method=call.method,
        path=call.path,
        query="",
        status=call.status or 0,  # 0: no response came (timeout, connection error)
        duration_ms=round(call.duration_ms),
        client_ip="",
        correlation_id=call.order_id,
        idempotency_key=call.order_id,  # every provider call carries the order id as its key
        request_headers="",  # only the bearer token and the idempotency key: nothing to add
        request_body=_body(call.request_body),
        response_body=_body(call.response_body),
        error_type=call.error or "",
    )


class OutboundCallLog:
    """The adapters' `on_call` hook: collects records until dispatch drains and produces them."""

    def __init__(
        self, topic: str, clock: Clock = _now, new_id: Callable[[datetime], str] = new_call_id
    ) -> None:
        self.topic = topic  # where dispatch produces the records: the requests.log topic
        self._clock = clock
        self._new_id = new_id
        self._companies: dict[str, str] = {}
        self._in_flight: Counter[str] = Counter()  # a redelivered order may be in one batch twice
        self._pending: list[RequestLogRecord] = []

    def __call__(self, call: CallRecord) -> None:
        at = self._clock()
        company_id = self._companies.get(call.order_id, "")
        self._pending.append(outbound_record(call, company_id, at, self._new_id(at)))

    @contextmanager
    def payout(self, order_id: str, company_id: str) -> Iterator[None]:
        """Calls made for `order_id` inside this block are logged under `company_id`."""
        self._companies[order_id] = company_id
        self._in_flight[order_id] += 1
        try:
            yield
        finally:
            self._in_flight[order_id] -= 1
            if not self._in_flight[order_id]:
                del self._in_flight[order_id]
                del self._companies[order_id]

    def drain(self) -> list[RequestLogRecord]:
        """The records collected so far, handed over once."""
        records, self._pending = self._pending, []
        return records
