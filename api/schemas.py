"""Wire schemas of the partner API (pydantic). Unknown fields are refused, types are strict."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from domain.cards import contains_card_number, normalize_card_number
from domain.orders import Order

MAX_MINOR_UNITS = 10**12  # ten billion in a 2-decimal currency: far above any single payout

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@+\-]+$")
]
Email = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s\"<>]{1,64}@[A-Za-z0-9.\-]{1,189}\.[A-Za-z]{2,}$")
]
MetadataValue = str | int | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AmountIn(_Strict):
    value: int = Field(gt=0, le=MAX_MINOR_UNITS, description="Minor units (cents): 1050 = 10.50")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class RecipientIn(_Strict):
    """Exactly one of card_number, phone, email."""

    card_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    email: Email | None = None

    @field_validator("card_number")
    @classmethod
    def _card(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number = normalize_card_number(value)
        if number is None:
            # Never echo the input: it may be a real card number.
            raise ValueError("not a valid card number (12-19 digits passing the Luhn check)")
        return number

    @model_validator(mode="after")
    def _exactly_one(self) -> RecipientIn:
        given = [f for f in ("card_number", "phone", "email") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of card_number, phone, email")
        return self


class EndUserIn(_Strict):
    id: Identifier
    ip: Annotated[str, StringConstraints(max_length=45)] | None = None
    device_id: Identifier | None = None
    email: Email | None = None

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("not an IPv4 or IPv6 address") from None


class OrderCreate(_Strict):
    product_id: Identifier
    amount: AmountIn
    recipient: RecipientIn
    end_user: EndUserIn
    external_id: Identifier | None = None
    metadata: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], Any] = Field(
        default_factory=dict, max_length=20, description="Up to 20 flat key/value pairs."
    )

    @field_validator("metadata")
    @classmethod
    def _flat_metadata(cls, value: dict[str, Any]) -> dict[str, MetadataValue]:
        for item in value.values():
            ok = item is None or isinstance(item, bool | int) or (
                isinstance(item, str) and len(item) <= 500
            )
            if not ok or (isinstance(item, int) and abs(item) > 2**53):
                raise ValueError("values must be strings (up to 500 chars), integers, booleans or null")
        return value

    @model_validator(mode="after")
    def _no_card_numbers_outside_the_recipient(self) -> OrderCreate:
        # A card number in any other field would reach the log and the tables in clear.
        texts = {
            "product_id": self.product_id, "external_id": self.external_id,
            "end_user.id": self.end_user.id, "end_user.device_id": self.end_user.device_id,
            "end_user.email": self.end_user.email, "recipient.email": self.recipient.email,
        }  # fmt: skip
        for name, text in (*texts.items(), *(("metadata", t) for t in _texts_of(self.metadata))):
            if isinstance(text, str) and contains_card_number(text):
                raise ValueError(
                    f"{name} looks like a card number: card numbers belong only in "
                    "recipient.card_number"
                )
        return self


def _texts_of(metadata: dict[str, Any]) -> list[str]:
    return [*metadata, *(v for v in metadata.values() if isinstance(v, str))]


class AmountOut(BaseModel):
    value: int
    currency: str


class RecipientOut(BaseModel):
    type: Literal["card", "phone", "email"]
    card_bin: str | None = None
    card_last4: str | None = None
    phone: str | None = None
    email: str | None = None


class StatusChangeOut(BaseModel):
    status: str
    reason: str
    at: datetime


class OrderOut(BaseModel):
    id: str
    object: Literal["order"] = "order"
    status: str = Field(description="New statuses may appear: treat unknown values as pending.")
    status_reason: str
    product_id: str
    amount: AmountOut
    fee: AmountOut = Field(description="Charged to the balance on top of the amount; 0 if none.")
    recipient: RecipientOut
    end_user_id: str
    external_id: str | None
    metadata: dict[str, str | int | bool | None]
    sandbox: bool
    created_at: datetime
    updated_at: datetime
    history: list[StatusChangeOut]
    batch_id: str | None = Field(default=None, description="The mass payout (POST /v1/batches) this order pays a line of.")
    batch_line: int | None = Field(default=None, description="Its line in that batch (1 = the first).")
    delivery: dict[str, str | int | bool | None] | None = Field(
        default=None,
        description=(
            "What the provider delivered for the end user once the order is completed: a gift "
            'certificate\'s {"code"}, a virtual card\'s {"pan", "expiry", "cvv"}, a top-up\'s '
            '{"operator"}. Secret: shown only to the company that owns the order, never logged.'
        ),
    )

    @classmethod
    def from_order(cls, order: Order, delivery: dict[str, Any] | None = None) -> OrderOut:
        """`delivery`: the order's delivery already revealed for its owner (None: not shown)."""
        r = order.recipient
        return cls(
            id=order.id,
            status=order.status.value,
            status_reason=order.history[-1].reason,
            product_id=order.product_id,
            amount=AmountOut(value=order.amount.value, currency=order.amount.currency),
            fee=AmountOut(value=order.fee, currency=order.amount.currency),
            recipient=RecipientOut(
                type=r.kind.value, card_bin=r.card_bin, card_last4=r.card_last4,
                phone=r.phone, email=r.email,
            ),  # fmt: skip
            end_user_id=order.end_user.id,
            external_id=order.external_id,
            metadata=order.metadata,
            sandbox=order.sandbox,
            created_at=order.created_at,
            updated_at=order.updated_at,
            history=[
                StatusChangeOut(status=h.status.value, reason=h.reason, at=h.at)
                for h in order.history
            ],
            batch_id=order.batch.batch_id if order.batch else None,
            batch_line=order.batch.line if order.batch else None,
            delivery=delivery,
        )
