"""What the partner API answers, as frozen dataclasses. Amounts are integers in minor units
(1050 = 10.50 EUR). Statuses stay strings because the API may add new ones (treat an unknown
order status as pending); the enums name the known values and compare equal to them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from quadra_client._wire import (
    JSONObject,
    as_object,
    boolean,
    integer,
    integers,
    objects,
    optional_integer,
    optional_text,
    scalars,
    text,
    texts,
    timestamp,
)

T = TypeVar("T")
Scalar = str | int | bool | None


class OrderStatus(enum.StrEnum):
    RECEIVED = "received"
    APPROVED = "approved"
    IN_REVIEW = "in_review"
    DECLINED = "declined"
    RESERVED = "reserved"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    COMPLETED = "completed"
    FAILED = "failed"


FINAL_ORDER_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.DECLINED, OrderStatus.REJECTED})
# Nothing happens to an order in review without a person: `Prefer: wait` stops there too.
RESTING_ORDER_STATUSES = FINAL_ORDER_STATUSES | {OrderStatus.IN_REVIEW}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field's fault: `pointer` is a JSON pointer into the request (or a header name)."""

    pointer: str
    code: str
    message: str

    @classmethod
    def from_json(cls, obj: JSONObject) -> FieldError:
        return cls(text(obj, "pointer"), text(obj, "code"), text(obj, "message"))


@dataclass(frozen=True, slots=True)
class Amount:
    value: int  # minor units
    currency: str

    @classmethod
    def from_json(cls, obj: JSONObject) -> Amount:
        return cls(integer(obj, "value"), text(obj, "currency"))


@dataclass(frozen=True, slots=True)
class Recipient:
    """Card numbers never come back: a card recipient shows its BIN and last four digits."""

    type: str  # card, phone, email
    card_bin: str | None
    card_last4: str | None
    phone: str | None
    email: str | None

    @classmethod
    def from_json(cls, obj: JSONObject) -> Recipient:
        return cls(
            text(obj, "type"), optional_text(obj, "card_bin"), optional_text(obj, "card_last4"),
            optional_text(obj, "phone"), optional_text(obj, "email"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    reason: str
    at: datetime

    @classmethod
    def from_json(cls, obj: JSONObject) -> StatusChange:
        return cls(text(obj, "status"), text(obj, "reason"), timestamp(obj, "at"))


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    status: str
    status_reason: str
    product_id: str
    amount: Amount
    fee: Amount  # charged to the balance on top of the amount
    recipient: Recipient
    end_user_id: str
    external_id: str | None
    metadata: dict[str, Scalar]
    sandbox: bool
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChange, ...]
    delivery: dict[str, Scalar] | None  # gift code, virtual card: only in get/create answers

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES

    @property
    def is_resting(self) -> bool:
        """Final, or waiting for a person (in review)."""
        return self.status in RESTING_ORDER_STATUSES

    @classmethod
    def from_json(cls, obj: JSONObject) -> Order:
        return cls(
            id=text(obj, "id"),
            status=text(obj, "status"),
            status_reason=text(obj, "status_reason"),
            product_id=text(obj, "product_id"),
            amount=Amount.from_json(as_object(obj.get("amount"), "amount")),
            fee=Amount.from_json(as_object(obj.get("fee"), "fee")),
            recipient=Recipient.from_json(as_object(obj.get("recipient"), "recipient")),
            end_user_id=text(obj, "end_user_id"),
            external_id=optional_text(obj, "external_id"),
            metadata=scalars(obj, "metadata"),
            sandbox=boolean(obj, "sandbox"),
            created_at=timestamp(obj, "created_at"),
            updated_at=timestamp(obj, "updated_at"),
            history=tuple(StatusChange.from_json(h) for h in objects(obj, "history")),
            delivery=None if obj.get("delivery") is None else scalars(obj, "delivery"),
        )


@dataclass(frozen=True, slots=True)
class Fee:
    fixed: int  # minor units per order
    basis_points: int  # of the amount; 100 = 1 %

    @classmethod
    def from_json(cls, obj: JSONObject) -> Fee:
        return cls(integer(obj, "fixed"), integer(obj, "basis_points"))


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """A product this company may order: either fixed `denominations` or any amount within
    `min_amount`..`max_amount` (None: no upper bound), in minor units of `currency`."""

    id: str
    type: str  # card_transfer, virtual_card, gift_certificate, mobile_topup
    brand: str
    currency: str
    denominations: tuple[int, ...] | None
    min_amount: int | None
    max_amount: int | None
    fee: Fee

    def admits(self, amount: int) -> bool:
        if self.denominations is not None:
            return amount in self.denominations
        low = self.min_amount or 1
        return amount >= low and (self.max_amount is None or amount <= self.max_amount)

    @classmethod
    def from_json(cls, obj: JSONObject) -> CatalogProduct:
        denominations = None if obj.get("denominations") is None else integers(obj, "denominations")
        return cls(
            id=text(obj, "id"), type=text(obj, "type"), brand=text(obj, "brand"),
            currency=text(obj, "currency"), denominations=denominations,
            min_amount=optional_integer(obj, "min_amount"), max_amount=optional_integer(obj, "max_amount"),
            fee=Fee.from_json(as_object(obj.get("fee"), "fee")),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Limits:
    per_order: int | None
    per_day: int | None
    per_month: int | None
    per_end_user_day: int | None
    per_product_day: dict[str, int]

    @classmethod
    def from_json(cls, obj: JSONObject) -> Limits:
        per_product = as_object(obj.get("per_product_day", {}), "per_product_day")
        return cls(
            optional_integer(obj, "per_order"), optional_integer(obj, "per_day"),
            optional_integer(obj, "per_month"), optional_integer(obj, "per_end_user_day"),
            {name: integer(per_product, name) for name in per_product},
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Balance:
    """One currency's account, minor units. `spendable` = available + credit limit."""

    currency: str
    available: int
    reserved: int
    credit_limit: int
    spendable: int
    status: str
    low_balance_threshold: int | None
    limits: Limits

    @classmethod
    def from_json(cls, obj: JSONObject) -> Balance:
        return cls(
            currency=text(obj, "currency"), available=integer(obj, "available"),
            reserved=integer(obj, "reserved"), credit_limit=integer(obj, "credit_limit"),
            spendable=integer(obj, "spendable"), status=text(obj, "status"),
            low_balance_threshold=optional_integer(obj, "low_balance_threshold"),
            limits=Limits.from_json(as_object(obj.get("limits"), "limits")),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Balances:
    company_id: str
    balances: tuple[Balance, ...]

    def in_currency(self, currency: str) -> Balance:
        for balance in self.balances:
            if balance.currency == currency:
                return balance
        raise KeyError(f"no {currency} account")

    @classmethod
    def from_json(cls, obj: JSONObject) -> Balances:
        return cls(text(obj, "company_id"), tuple(Balance.from_json(b) for b in objects(obj, "balances")))


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    url: str
    event_types: tuple[str, ...]
    enabled: bool
    updated_at: datetime
    secret: str | None  # whsec_…: only when set or rotated; store it, GET never shows it

    @classmethod
    def from_json(cls, obj: JSONObject) -> WebhookEndpoint:
        return cls(
            text(obj, "url"), texts(obj, "event_types"), boolean(obj, "enabled"), timestamp(obj, "updated_at"),
            optional_text(obj, "secret"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FraudReport:
    """An end user of this company whose order was confirmed fraudulent."""

    id: str
    order_id: str
    external_id: str | None
    end_user_id: str
    reason: str
    end_user_blocked: bool
    created_at: datetime

    @classmethod
    def from_json(cls, obj: JSONObject) -> FraudReport:
        return cls(
            id=text(obj, "id"), order_id=text(obj, "order_id"), external_id=optional_text(obj, "external_id"),
            end_user_id=text(as_object(obj.get("end_user"), "end_user"), "id"), reason=text(obj, "reason"),
            end_user_blocked=boolean(obj, "end_user_blocked"), created_at=timestamp(obj, "created_at"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; `next_cursor` None: the last page."""

    data: tuple[T, ...]
    next_cursor: str | None
