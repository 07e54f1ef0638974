"""Partner webhooks: which events a partner receives, where, signed how, retried when.

The endpoint is per company, set by the partner (`PUT /v1/webhook-endpoint`) and held by the
company registry. The signing secret travels and rests only encrypted (card vault `seal`).
Signatures follow Standard Webhooks (https://www.standardwebhooks.com), so partners verify
with the official libraries. A delivery is retried on a fixed backoff schedule for at most
24 hours after it was queued, then it is `exhausted` (staff can replay it).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class WebhookEventType(str, enum.Enum):
    ORDER_COMPLETED = "order.completed"
    ORDER_FAILED = "order.failed"
    ORDER_DECLINED = "order.declined"
    ORDER_IN_REVIEW = "order.in_review"
    BALANCE_LOW = "balance.low"
    FRAUD_SUSPECTED = "fraud.suspected"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    url: str  # https:// (http:// only for sandbox keys' local testing)
    event_types: tuple[WebhookEventType, ...]
    secret_ciphertext: str  # vault-sealed "whsec_…"
    updated_at: datetime
    enabled: bool = True

    def wants(self, event_type: WebhookEventType) -> bool:
        return self.enabled and event_type in self.event_types


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"  # queued, not attempted yet
    RETRYING = "retrying"  # attempted and failed; another attempt is scheduled
    DELIVERED = "delivered"  # the partner answered 2xx
    EXHAUSTED = "exhausted"  # every attempt of the schedule failed

    @property
    def is_final(self) -> bool:
        return self in (DeliveryStatus.DELIVERED, DeliveryStatus.EXHAUSTED)


# --- signing (https://www.standardwebhooks.com) ---

SECRET_PREFIX = "whsec_"
MAX_DELIVERY_WINDOW = timedelta(hours=24)


def signing_key(secret: str) -> bytes:
    """The HMAC key: the base64 part after `whsec_` (the prefix is optional, as in the spec)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a signing secret is whsec_ followed by base64") from exc
    if not key:
        raise ValueError("empty signing secret")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt made at `at` (unix seconds)."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


# --- retries ---

DEFAULT_RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
    timedelta(hours=2), timedelta(hours=5), timedelta(hours=10),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Delay before each attempt, counted from the previous one (the first from enqueueing).

    The defaults add up to about 17.6 h, so the last attempt falls within a day of the event
    even when each attempt itself waits out its timeout."""

    delays: tuple[timedelta, ...] = DEFAULT_RETRY_DELAYS

    def __post_init__(self) -> None:
        if not self.delays:
            raise ValueError("a retry schedule needs at least one attempt")
        if any(d < timedelta(0) for d in self.delays):
            raise ValueError("retry delays cannot be negative")
        if sum(self.delays, timedelta(0)) > MAX_DELIVERY_WINDOW:
            raise ValueError("retry delays must add up to 24 hours at most")

    @property
    def attempts(self) -> int:
        return len(self.delays)

    def first_attempt_at(self, enqueued_at: datetime) -> datetime:
        return enqueued_at + self.delays[0]

    def after_failure(self, attempts_made: int, failed_at: datetime) -> datetime | None:
        """When to try again after `attempts_made` failed attempts; None: give up (exhausted)."""
        if attempts_made >= len(self.delays):
            return None
        return failed_at + self.delays[attempts_made]


# --- messages and deliveries ---


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One event for one partner. `id` is derived from the event, so a replayed event (or a
    staff replay) carries the same `webhook-id` and the partner can de-duplicate by it."""

    id: str
    company_id: str
    event_type: WebhookEventType
    occurred_at: datetime
    body: str  # the exact JSON bytes that are signed and sent
    lane: str  # messages of one lane (an order) are delivered one after another, in position order
    position: int
    # The order's delivery (gift code, virtual card), vault-sealed. It is put into the body
    # only at sending time, so the clear secret is never stored, logged or put on a topic.
    sealed_delivery: str | None = None

    def body_to_send(self, reveal: Callable[[str], str]) -> str:
        if self.sealed_delivery is None:
            return self.body
        payload = json.loads(self.body)
        payload["data"]["delivery"] = json.loads(reveal(self.sealed_delivery))
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a message stands: the durable unit of the notify agent's state.

    `round` is "" for the first delivery and the replay id for a staff replay; it keeps the
    attempt ids of each round apart."""

    message: WebhookMessage
    enqueued_at: datetime
    next_attempt_at: datetime | None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    round: str = ""


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt came to: a status code, or 0 and the network error."""

    at: datetime
    url: str
    response_status: int
    duration_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.response_status < 300


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One line of the delivery log: the delivery after an attempt (attempt 0: enqueued)."""

    delivery: Delivery
    at: datetime
    url: str = ""
    response_status: int = 0
    duration_ms: int = 0
    error: str = ""

    @property
    def attempt(self) -> int:
        return self.delivery.attempts

    @property
    def attempt_id(self) -> str:
        return attempt_id_for(self.delivery.message.id, self.delivery.round, self.attempt)


def attempt_id_for(message_id: str, round_id: str, attempt: int) -> str:
    return f"{message_id}:{round_id}:{attempt}"


def enqueue(message: WebhookMessage, at: datetime, schedule: RetrySchedule, round_id: str = "") -> Delivery:
    return Delivery(message, at, schedule.first_attempt_at(at), round=round_id)


def record_attempt(delivery: Delivery, result: AttemptResult, schedule: RetrySchedule) -> Delivery:
    """The delivery after one more attempt: delivered, retrying at the scheduled time, or exhausted."""
    attempts = delivery.attempts + 1
    if result.succeeded:
        return replace(delivery, attempts=attempts, status=DeliveryStatus.DELIVERED, next_attempt_at=None)
    retry_at = schedule.after_failure(attempts, result.at)
    if retry_at is not None and retry_at > delivery.enqueued_at + MAX_DELIVERY_WINDOW:
        retry_at = None  # waiting behind its order's earlier messages used up its day
    status = DeliveryStatus.EXHAUSTED if retry_at is None else DeliveryStatus.RETRYING
    return replace(delivery, attempts=attempts, status=status, next_attempt_at=retry_at)
