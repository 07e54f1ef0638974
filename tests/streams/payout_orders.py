"""Reserved orders, the catalog and the card vault shared by the dispatch tests."""

from __future__ import annotations

import base64
from dataclasses import replace

from domain.cards import CardVault
from domain.catalog import Catalog, Product, ProductType
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from tests.builders import T0

VAULT = CardVault({"k1": base64.b64decode(base64.b64encode(b"v" * 32))}, b"token")
CATALOG = Catalog((
    Product("card-transfer-eur", ProductType.CARD_TRANSFER, "Visa", "EUR"),
    Product("virtual-card-eur", ProductType.VIRTUAL_CARD, "Quadra Card", "EUR"),
    Product("zalando-25", ProductType.GIFT_CERTIFICATE, "Zalando", "EUR", denominations=(2500,),
            provider_code="zalando-25"),
    Product("topup-de", ProductType.MOBILE_TOPUP, "Telekom", "EUR"),
))  # fmt: skip


def reserved(n: int, product_id: str, recipient: Recipient, amount: int = 2500) -> Order:
    order = Order(
        id=f"ord_{n:032x}", company_id="cmp_a", idempotency_key=f"k{n}", product_id=product_id,
        amount=Money(amount, "EUR"), recipient=recipient, end_user=EndUser("u1", email="u1@example.com"),
        created_at=T0, history=(),
    )  # fmt: skip
    order = replace(order, history=(StatusChange(OrderStatus.RECEIVED, "r", T0),))
    for status in (OrderStatus.APPROVED, OrderStatus.RESERVED):
        order = order.transition(status, status.value, T0)
    return order


def card_recipient(number: str = "4111111111111111") -> Recipient:
    card = VAULT.protect(number)
    return Recipient(RecipientKind.CARD, card_token=card.token, card_bin=card.bin, card_last4=card.last4,
                     card_ciphertext=card.ciphertext)  # fmt: skip
