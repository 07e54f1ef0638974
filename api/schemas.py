"""Wire schemas of the partner API (pydantic). Unknown fields are refused, types are strict."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain.cards import contains_card_number, normalize_card_number
from domain.currencies import is_iso_currency
from domain.orders import Order
from domain.phones import e164_problem

MAX_MINOR_UNITS = 10**12  # ten billion in a 2-decimal currency: far above any single payout

IDENTIFIER_PATTERN = r"^[A-Za-z0-9._:@+\-]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)]
# RFC 5321 mailbox, ASCII: a dot-atom local part, then a DNS name (an IDN in its xn-- form).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]"
EMAIL_PATTERN = (
    rf"^{_ATEXT}+(\.{_ATEXT}+)*@([A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?\.)+([A-Za-z]{{2,63}}|xn--[A-Za-z0-9\-]{{1,59}})$"
)
_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    if not _EMAIL.fullmatch(value) or len(local) > 64 or any(len(label) > 63 for label in domain.split(".")):
        raise ValueError("not an e-mail address like name@example.com (ASCII; IDN domains as xn--)")
    return value


def _schema(pattern: str, description: str) -> Any:
    """Documents `pattern` in the OpenAPI schema while a validator checks it, so that a refusal
    says what is wrong in words instead of quoting a regular expression."""
    return Field(json_schema_extra={"pattern": pattern}, description=description)


Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_email), _schema(EMAIL_PATTERN, "name@example.com")
]
# Text a partner may put anywhere: no control characters (tab and line breaks are fine in values).
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MetadataValue = str | int | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AmountIn(_Strict):
    value: int = Field(gt=0, le=MAX_MINOR_UNITS, description="Minor units (cents): 1050 = 10.50")
    currency: Annotated[
        str,
        StringConstraints(max_length=3),
        _schema(r"^[A-Z]{3}$", "An active ISO 4217 code, upper case: the product's (GET /v1/catalog)"),
    ]

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        if not is_iso_currency(value):
            raise ValueError("not an active ISO 4217 currency code (upper case, such as EUR or USD)")
        return value


class RecipientIn(_Strict):
    """Exactly one of card_number, phone, email."""

    card_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    phone: Annotated[
        str,
        StringConstraints(max_length=16),
        _schema(r"^\+[1-9][0-9]{6,14}$", "E.164: '+', country calling code and number (+4915112345678)"),
    ] | None = None
    email: Email | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        problem = None if value is None else e164_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

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
    metadata: dict[MetadataKey, Any] = Field(
        default_factory=dict, max_length=20, description="Up to 20 flat key/value pairs."
    )

    @field_validator("metadata")
    @classmethod
    def _flat_metadata(cls, value: dict[str, Any]) -> dict[str, MetadataValue]:
        for item in value.values():
            ok = item is None or isinstance(item, bool | int) or (
                isinstance(item, str) and len(item) <= 500 and not _CONTROL.search(item)
            )
            if not ok or (isinstance(item, int) and abs(item) > 2**53):
                raise ValueError(
                    "values must be strings (up to 500 characters, no control characters), "
                    "integers (up to 2^53), booleans or null"
                )
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
