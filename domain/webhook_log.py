"""The delivery log as staff read it: deliveries (latest state) and their attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.webhooks import DeliveryStatus, WebhookMessage


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """Filters for listing deliveries; the time range is on when the event occurred, [from, to)."""

    company_id: str | None = None
    status: DeliveryStatus | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryCursor:
    """Keyset position: the last row of a page (pages go newest first)."""

    occurred_at: datetime
    message_id: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    message: WebhookMessage
    status: DeliveryStatus
    attempts: int
    round: str
    enqueued_at: datetime
    last_attempt_at: datetime | None
    last_response_status: int
    last_error: str
    next_attempt_at: datetime | None
    url: str

    @property
    def cursor(self) -> DeliveryCursor:
        return DeliveryCursor(self.message.occurred_at, self.message.id)


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt_id: str
    round: str
    attempt: int
    status: DeliveryStatus
    at: datetime
    url: str
    response_status: int
    duration_ms: int
    error: str

