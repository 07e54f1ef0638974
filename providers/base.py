"""The one narrow interface every payout provider adapter implements.

A provider is asked to `pay` a `PayoutRequest` and answers with a `PayoutOutcome`; `status`
asks what became of an order id. The order id is the idempotency key of every call, so asking
the same provider twice never pays twice.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from domain.catalog import ProductType  # re-exported: adapters and callers share one enum
from domain.money import Money


class OutcomeState(str, enum.Enum):
    PAID = "paid"  # the provider completed the payout
    DECLINED = "declined"  # the provider refused it: nothing was paid
    PENDING = "pending"  # accepted, completes asynchronously: ask `status` later
    UNKNOWN = "unknown"  # no answer we can trust: see `fault`; ask `status` (never pay elsewhere)


class Fault(str, enum.Enum):
    """Why an outcome is UNKNOWN."""

    UNAVAILABLE = "unavailable"  # provider down (503 / connection refused): certainly not executed
    AMBIGUOUS = "ambiguous"  # the call may have reached the provider and the status is unresolved
    REJECTED = (
        "rejected"  # the provider refused our call (4xx): not executed, a bug or config issue
    )


# Reasons of UNKNOWN outcomes (DECLINED outcomes carry the provider's decline code).
REASON_NOT_FOUND = "not_found"
REASON_UNAVAILABLE = "provider_unavailable"
REASON_AMBIGUOUS = "provider_unresolved"
REASON_OUT_OF_STOCK = "out_of_stock"
REASON_CIRCUIT_OPEN = "circuit_open"


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    """What dispatch asks a provider to pay. `card_number` is the clear PAN: only dispatch builds it."""

    order_id: str
    product_type: ProductType
    amount: Money
    card_number: str | None = None
    phone: str | None = None
    email: str | None = None
    product_code: str | None = None

    def __repr__(self) -> str:  # never let the PAN reach a log through repr()
        card = "set" if self.card_number else None
        return (
            f"PayoutRequest(order_id={self.order_id!r}, product_type={self.product_type.value!r}, "
            f"amount={self.amount!r}, card_number={card!r}, product_code={self.product_code!r})"
        )


@dataclass(frozen=True, slots=True)
class PayoutOutcome:
    """What a provider said. `details` (gift code, virtual card PAN/CVV) is secret to the caller."""

    state: OutcomeState
    provider: str
    reason: str | None = None
    provider_ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fault: Fault | None = None

    @property
    def safe_to_fail_over(self) -> bool:
        """True only when the provider certainly executed nothing because it was down."""
        return self.state is OutcomeState.UNKNOWN and self.fault is Fault.UNAVAILABLE

    @property
    def is_final(self) -> bool:
        return self.state in (OutcomeState.PAID, OutcomeState.DECLINED)

    def __repr__(self) -> str:  # details are secret: show only their keys
        return (
            f"PayoutOutcome(state={self.state.value!r}, provider={self.provider!r}, "
            f"reason={self.reason!r}, provider_ref={self.provider_ref!r}, "
            f"details_keys={sorted(self.details)!r}, fault={self.fault!r})"
        )


@runtime_checkable
class PayoutProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def pay(self, request: PayoutRequest) -> PayoutOutcome: ...

    async def status(self, order_id: str) -> PayoutOutcome: ...


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One outbound HTTP call, sanitized: no PAN, CVV or gift code ever appears here."""

    provider: str
    method: str
    path: str
    order_id: str
    status: int | None  # None when no response came (timeout, connection error)
    duration_ms: float
    request_body: dict[str, Any] | None = None
    response_body: dict[str, Any] | None = None
    error: str | None = None


CallHook = Callable[[CallRecord], None]
Sleep = Callable[[float], Awaitable[None]]


def _ignore_call(_: CallRecord) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """Per-adapter settings: bearer token, per-call timeout and a small retry budget."""

    token: str = "sandbox-quadra"
    timeout_s: float = 5.0
    max_attempts: int = 3  # pay calls per `pay`, and status queries per `status`
    backoff_base_s: float = 0.05
    backoff_max_s: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.timeout_s <= 0 or self.backoff_base_s < 0 or self.backoff_max_s < 0:
            raise ValueError("timeouts and backoffs must not be negative")

    def backoff(self, attempt: int) -> float:
        """Delay before attempt number `attempt + 1` (attempt counts from 1): exponential, capped."""
        return float(min(self.backoff_max_s, self.backoff_base_s * (2 ** (attempt - 1))))


DEFAULT_SLEEP: Sleep = asyncio.sleep
IGNORE_CALLS: CallHook = _ignore_call
