"""Orders: the request a partner makes, and the order with its status history."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.money import Money


class OrderStatus(str, enum.Enum):
    RECEIVED = "received"
    APPROVED = "approved"
    IN_REVIEW = "in_review"
    DECLINED = "declined"
    RESERVED = "reserved"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {OrderStatus.DECLINED, OrderStatus.REJECTED, OrderStatus.COMPLETED, OrderStatus.FAILED}
)

# Statuses after which nothing happens without outside help: `Prefer: wait=N` waits for one.
RESTING_STATUSES = TERMINAL_STATUSES | {OrderStatus.IN_REVIEW}


class RecipientKind(str, enum.Enum):
    CARD = "card"
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where the payout goes. A card is never held in clear: token, BIN, last 4, ciphertext."""

    kind: RecipientKind
    phone: str | None = None
    email: str | None = None
    card_token: str | None = None
    card_bin: str | None = None
    card_last4: str | None = None
    card_ciphertext: str | None = None


@dataclass(frozen=True, slots=True)
class EndUser:
    id: str
    ip: str | None = None
    device_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class BatchLineRef:
    """Which line of which mass payout an order pays: progress and per-line results are read
    over the orders that carry it (domain/batches.py)."""

    batch_id: str
    line: int  # 1 = the batch's first line

    def __post_init__(self) -> None:
        if not self.batch_id or isinstance(self.line, bool) or not isinstance(self.line, int) or self.line < 1:
            raise ValueError("a batch line is a batch id and a line number from 1")


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One `POST /v1/orders` as it travels the log, already validated and tokenized."""

    request_id: str
    company_id: str
    idempotency_key: str
    body_hash: str
    product_id: str
    amount: Money
    recipient: Recipient
    end_user: EndUser
    received_at: datetime
    external_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    sandbox: bool = True
    fee: int = 0  # minor units of amount.currency, from the company's catalog terms
    product_type: str = ""  # the catalog product's type, kept so reports need no catalog lookup
    batch: BatchLineRef | None = None  # set when the order is a line of a mass payout


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: OrderStatus
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    company_id: str
    idempotency_key: str
    product_id: str
    amount: Money
    recipient: Recipient
    end_user: EndUser
    created_at: datetime
    history: tuple[StatusChange, ...]
    external_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    sandbox: bool = True
    fee: int = 0  # minor units of amount.currency, charged on top of the amount
    # What the provider delivered (gift code, virtual card details), encrypted by the card
    # vault: only the owning partner ever sees it in clear (API and webhook).
    delivery: str | None = None
    product_type: str = ""  # from the catalog at intake: reports filter and group by it
    provider: str | None = None  # the provider that executed the payout, set by dispatch
    batch: BatchLineRef | None = None  # the mass payout (POST /v1/batches) line it came from

    @property
    def status(self) -> OrderStatus:
        return self.history[-1].status

    @property
    def version(self) -> int:
        """Monotonic per order: the number of transitions so far."""
        return len(self.history)

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at

    def transition(self, status: OrderStatus, reason: str, at: datetime) -> Order:
        if self.status.is_terminal:
            raise ValueError(f"order {self.id} is {self.status.value}: no further transitions")
        return replace(self, history=(*self.history, StatusChange(status, reason, at)))


def order_id_for(request_id: str) -> str:
    """Deterministic, so a replayed log message re-creates the very same order."""
    return f"ord_{request_id}"
