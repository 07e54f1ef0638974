"""Use cases behind the staff order detail and request viewer: one order's latest state and
its whole timeline (status changes, the fraud decision, the partner's request, provider
calls, webhook attempts, ledger entries, review case events) in time order; one logged
HTTP exchange with its headers and bodies.

Everything shown is sanitized again here, whatever the writer did: bodies and header values
through the request log's own rules (card numbers masked, secret fields and Authorization /
cookie headers redacted, deliveries removed), free texts with card numbers masked, webhook
URLs without query or credentials.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from analytics.order_timeline_repo import StoredOrder
from analytics.webhook_rows import bare_url
from analytics.reports.request_log import LoggedRequest
from api.sanitize import MAX_LOGGED_BODY, mask_cards, sanitize_header_lines, sanitize_text
from domain.errors import NotFound
from domain.fraud import CaseEvent
from domain.fraud_views import ORDER_ID, DecisionView
from domain.order_timeline import (
    REQUEST_ID, LedgerEntryView, StatusEventView, TimelineEntry, TimelineKind, merged,
)  # fmt: skip
from domain.webhook_log import AttemptView, DeliveryView

# Stored bodies are capped at MAX_LOGGED_BODY plus a marker; re-sanitizing must not cut again.
_SHOWN_BODY = 4 * MAX_LOGGED_BODY
MAX_WEBHOOK_MESSAGES = 100
# Reads narrowed by the order's creation: nothing about it happened before, but clocks of the
# nodes that stamp its rows may trail the intake's by a moment (as in the timeline repository).
_CLOCK_SLACK = timedelta(minutes=1)


class OrderTimelineReads(Protocol):
    async def order(self, order_id: str) -> StoredOrder | None: ...

    async def status_events(self, order: StoredOrder) -> list[StatusEventView]: ...

    async def exchanges(self, order: StoredOrder) -> list[LoggedRequest]:
        """The partner's creating request and every provider call for the order."""

    async def ledger_entries(self, order: StoredOrder) -> list[LedgerEntryView]: ...


class DecisionReads(Protocol):
    async def decision_of(self, company_id: str, order_id: str, created_at: datetime) -> DecisionView | None:
        """The decision on a stored order (a decision's `at` is its order's created_at)."""


class CaseEventReads(Protocol):
    async def events(self, case_id: str, since: datetime | None = None) -> list[CaseEvent]:
        """`since`: none of the case's events is older."""


class WebhookLaneReads(Protocol):
    async def for_lane(self, company_id: str, lane: str, since: datetime, limit: int) -> list[DeliveryView]: ...

    async def attempts_of(
        self, company_id: str, message_ids: Sequence[str], since: datetime | None = None
    ) -> dict[str, list[AttemptView]]:
        """Each message's attempts, oldest first; `since`: none of the messages occurred before."""


class RequestLookup(Protocol):
    async def get(self, request_id: str) -> LoggedRequest | None: ...


@dataclass(frozen=True, slots=True)
class WebhookAttemptItem:
    """One attempt of one of the order's webhook messages (attempt 0: queued)."""

    delivery: DeliveryView
    attempt: AttemptView


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: StoredOrder
    decision: DecisionView | None
    webhooks: list[DeliveryView]  # each message's state after its latest attempt
    timeline: list[TimelineEntry]  # oldest first


@dataclass(frozen=True, slots=True)
class RequestView:
    request: LoggedRequest  # sanitized
    request_headers: list[tuple[str, str]]


def sanitized_request(r: LoggedRequest) -> RequestView:
    headers = sanitize_header_lines(r.request_headers)
    clean = replace(
        r, path=sanitize_text(r.path, _SHOWN_BODY), query=sanitize_text(r.query, _SHOWN_BODY),
        request_headers="\n".join(f"{n}: {v}" for n, v in headers),
        request_body=sanitize_text(r.request_body, _SHOWN_BODY), response_body=sanitize_text(r.response_body, _SHOWN_BODY),
        idempotency_key=mask_cards(r.idempotency_key), correlation_id=mask_cards(r.correlation_id),
        error_type=mask_cards(r.error_type),
    )  # fmt: skip
    return RequestView(clean, headers)


def _delivery(d: DeliveryView) -> DeliveryView:
    message = replace(d.message, body=sanitize_text(d.message.body, _SHOWN_BODY), sealed_delivery=None)
    return replace(d, message=message, last_error=mask_cards(d.last_error), url=_url(d.url))


def _attempt(a: AttemptView) -> AttemptView:
    return replace(a, error=mask_cards(a.error), url=_url(a.url))


def _url(url: str) -> str:
    """A partner's webhook URL without query, fragment or credentials (where tokens go)."""
    return mask_cards(bare_url(url)) if url else ""


class OrderTimelines:
    def __init__(
        self, reads: OrderTimelineReads, decisions: DecisionReads, cases: CaseEventReads, webhooks: WebhookLaneReads,
        requests: RequestLookup,
    ) -> None:  # fmt: skip
        self._reads = reads
        self._decisions = decisions
        self._cases = cases
        self._webhooks = webhooks
        self._requests = requests

    async def detail(self, order_id: str) -> OrderDetail:
        """404 for an id that is not an order id or names no stored order (any company)."""
        order = await self._reads.order(order_id) if ORDER_ID.match(order_id) else None
        if order is None:
            raise NotFound("No such order")
        events, exchanges, ledger, decision, case_events, deliveries = await asyncio.gather(
            self._reads.status_events(order), self._reads.exchanges(order), self._reads.ledger_entries(order),
            self._decisions.decision_of(order.company_id, order.order_id, order.created_at),
            self._cases.events(f"case_{order.order_id}", order.created_at - _CLOCK_SLACK),
            self._webhooks.for_lane(order.company_id, order.order_id, order.created_at, MAX_WEBHOOK_MESSAGES),
        )  # fmt: skip
        deliveries = [_delivery(d) for d in deliveries]
        attempts = await self._attempts(order.company_id, deliveries)
        entries: list[TimelineEntry] = [
            *(TimelineEntry(e.at, TimelineKind.STATUS, e.event_id, replace(e, reason=mask_cards(e.reason)))
              for e in events),
            *(TimelineEntry(x.at, _exchange_kind(x), x.request_id, sanitized_request(x)) for x in exchanges),
            *(TimelineEntry(e.at, TimelineKind.LEDGER_ENTRY, e.entry_id, replace(e, reason=mask_cards(e.reason)))
              for e in ledger),
            *(TimelineEntry(e.at, TimelineKind.CASE_EVENT, e.event_id, replace(e, text=mask_cards(e.text)))
              for e in case_events),
            *(TimelineEntry(a.attempt.at, TimelineKind.WEBHOOK_ATTEMPT, a.attempt.attempt_id, a) for a in attempts),
        ]  # fmt: skip
        if decision is not None:
            entries.append(TimelineEntry(decision.at, TimelineKind.DECISION, decision.order_id, decision))
        return OrderDetail(order, decision, deliveries, merged(entries))

    async def request(self, request_id: str) -> RequestView:
        """One logged exchange, sanitized; 404 for an id no writer makes or no row has."""
        found = await self._requests.get(request_id) if REQUEST_ID.match(request_id) else None
        if found is None:
            raise NotFound("No such logged request")
        return sanitized_request(found)

    async def _attempts(self, company_id: str, deliveries: Sequence[DeliveryView]) -> list[WebhookAttemptItem]:
        if not deliveries:
            return []
        # An attempt is stamped with its message's occurred_at: none is older than the oldest message.
        since = min(d.message.occurred_at for d in deliveries)
        found = await self._webhooks.attempts_of(company_id, [d.message.id for d in deliveries], since)
        return [WebhookAttemptItem(d, _attempt(a)) for d in deliveries for a in found.get(d.message.id, [])]


def _exchange_kind(r: LoggedRequest) -> TimelineKind:
    return TimelineKind.PROVIDER_CALL if r.direction == "outbound" else TimelineKind.PARTNER_REQUEST
