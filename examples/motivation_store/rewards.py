"""The store's rules, without any web or HTTP: how a product is shown, what the form asks for,
and how a filled form becomes an order for the Quadra API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from quadra_client import CatalogProduct, OrderBody, RecipientBody

# Where each kind of reward is sent: a card transfer to a card, a top-up to a phone, the rest
# (gift codes, virtual cards) by email.
RECIPIENT_FIELD = {"card_transfer": "card_number", "mobile_topup": "phone"}
RECIPIENT_LABEL = {"card_number": "Card number", "phone": "Phone (+49…)", "email": "Email"}
CENTS = Decimal(100)  # the store sells EUR and USD: two decimals


class InvalidReward(ValueError):
    """The form cannot become an order; the message is for the person who filled it in."""


@dataclass(frozen=True, slots=True)
class RewardForm:
    product_id: str
    amount: str  # major units as typed: "25" or "25.00"
    employee_id: str
    recipient: str
    idempotency_key: str  # rendered into the form: submitting twice orders once


def recipient_field(product: CatalogProduct) -> str:
    return RECIPIENT_FIELD.get(product.type, "email")


def format_amount(minor: int, currency: str) -> str:
    return f"{Decimal(minor) / CENTS:,.2f} {currency}"


def price_label(product: CatalogProduct) -> str:
    if product.denominations is not None:
        return " / ".join(format_amount(d, product.currency) for d in product.denominations)
    low = format_amount(product.min_amount or 1, product.currency)
    return f"from {low}" if product.max_amount is None else f"{low} – {format_amount(product.max_amount, product.currency)}"


def parse_amount(text: str) -> int:
    """Major units ("25", "25.5", "25.50") to minor units; never through a float."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidReward("The amount must be a number such as 25 or 25.50.") from None
    minor = value * CENTS
    if not value.is_finite() or minor != minor.to_integral_value() or minor <= 0:
        raise InvalidReward("The amount must be positive, with at most two decimals.")
    return int(minor)


def order_for(form: RewardForm, catalog: list[CatalogProduct]) -> OrderBody:
    product = next((p for p in catalog if p.id == form.product_id), None)
    if product is None:
        raise InvalidReward("This reward is no longer in the store.")
    amount = parse_amount(form.amount)
    if not product.admits(amount):
        raise InvalidReward(f"{product.brand} comes in {price_label(product)}.")
    employee, recipient = form.employee_id.strip(), form.recipient.strip()
    if not employee or not recipient:
        raise InvalidReward("Say who gets the reward and where to send it.")
    field = recipient_field(product)
    to: RecipientBody = {"card_number": recipient} if field == "card_number" else (
        {"phone": recipient} if field == "phone" else {"email": recipient})  # fmt: skip
    return {
        "product_id": product.id,
        "amount": {"value": amount, "currency": product.currency},
        "recipient": to,
        "end_user": {"id": employee},
        "metadata": {"source": "motivation-store"},
    }
