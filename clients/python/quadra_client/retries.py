"""When to try a request again, and after how long.

Retried: no answer at all (connection refused, reset, timed out), 429, 502, 503 and 504. Every
retry sends the very same request, Idempotency-Key included, so the API answers a retried
order with the order the first attempt made, never a second one. Backoff doubles from
`initial_delay` up to `max_delay` with jitter (so many clients retrying do not arrive
together); a `Retry-After` from the API is honoured instead, unless it is longer than
`max_retry_after` — then the error is raised for the caller to decide."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
# A 502 or 504 may come after the API acted; 429 and 503 never: a request that is not safe to
# repeat (rotate the webhook secret) is retried only on those, and when it never left.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
NEVER_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4  # the first attempt included; 1 turns retries off
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError("max_attempts >= 1 and 0 <= initial_delay <= max_delay")

    def delay_before_retry(
        self, outcome: httpx.Response | httpx.TransportError, attempt: int, repeatable: bool
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None: do not retry."""
        if attempt >= self.max_attempts or not _retried(outcome, repeatable):
            return None
        retry_after = retry_after_seconds(outcome) if isinstance(outcome, httpx.Response) else None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return retry_after + self.rng.uniform(0, retry_after * 0.1)  # never earlier than asked
        ceiling = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def _retried(outcome: httpx.Response | httpx.TransportError, repeatable: bool) -> bool:
    if isinstance(outcome, httpx.UnsupportedProtocol):  # a base_url such as ftp://: never works
        return False
    if isinstance(outcome, httpx.TransportError):
        return repeatable or isinstance(outcome, NEVER_SENT_ERRORS)
    statuses = RETRIED_STATUSES if repeatable else NOT_PROCESSED_STATUSES
    return outcome.status_code in statuses


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """`Retry-After` as delay-seconds or an HTTP date (RFC 9110); None when absent or unreadable."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(int(raw[:9]))  # digits only; nine of them is already three years
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
