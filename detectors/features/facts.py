"""What the features look at in one order: keys already tokenized, time in seconds, money exact.

The stream builds these from a domain `Order` (its card is already a token); the offline
commands from a JSONL line of the partner API body (the card number is tokenized on read and
then dropped). Either way the feature code never sees a clear card number.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from domain.orders import Order, RecipientKind


@dataclass(frozen=True, slots=True)
class OrderFacts:
    at: int  # epoch seconds, UTC
    company_id: str
    end_user: str
    recipient: str  # a keyed token, prefixed by kind: "card:…", "phone:…", "email:…"
    recipient_kind: RecipientKind
    amount: int  # minor units
    device: str | None = None
    ip: str | None = None
    # Confirmed outcome when known (offline files; analyst decisions later). The features use
    # it only once the order is older than the label delay.
    label: int | None = None
    # The stream's order id: an analyst's later label finds the order's pending entry by it.
    order_id: str | None = None


def keyed_token(key: bytes, value: str) -> str:
    """A keyed hash (HMAC-SHA256, as the card vault's tokens): matches without the value."""
    return hmac.digest(key, value.encode(), "sha256")[:16].hex()


def facts_from_order(order: Order, label: int | None = None, at: int | None = None) -> OrderFacts:
    """The stream's path: the card was tokenized at ingress, phones and emails are keyed as is."""
    r = order.recipient
    if r.kind is RecipientKind.CARD:
        recipient = f"card:{r.card_token}"
    elif r.kind is RecipientKind.PHONE:
        recipient = f"phone:{r.phone}"
    else:
        recipient = f"email:{(r.email or '').lower()}"
    return OrderFacts(
        at=int(order.created_at.timestamp()) if at is None else at,
        company_id=order.company_id,
        end_user=order.end_user.id,
        recipient=recipient,
        recipient_kind=r.kind,
        amount=order.amount.value,
        device=order.end_user.device_id,
        ip=order.end_user.ip,
        label=label,
        order_id=order.id,
    )
