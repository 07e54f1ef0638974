"""Request bodies as TypedDicts: plain dicts that a type checker can check, sent as they are."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class AmountBody(TypedDict):
    value: int  # minor units: 1050 = 10.50
    currency: str  # ISO 4217, e.g. "EUR"


class RecipientBody(TypedDict, total=False):
    """Exactly one of the three."""

    card_number: str  # 12-19 digits passing the Luhn check
    phone: str  # E.164: "+4915112345678"
    email: str


class EndUserBody(TypedDict):
    id: str  # your id of the person being paid
    ip: NotRequired[str]
    device_id: NotRequired[str]
    email: NotRequired[str]


class OrderBody(TypedDict):
    """`POST /v1/orders`, and one line of a JSON batch."""

    product_id: str
    amount: AmountBody
    recipient: RecipientBody
    end_user: EndUserBody
    external_id: NotRequired[str]
    metadata: NotRequired[dict[str, str | int | bool | None]]
