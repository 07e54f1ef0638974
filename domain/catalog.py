"""The catalog: products partners can pay out, and each company's view of them.

A product has a type, a brand, one currency, either fixed denominations or a min/max range,
and a fee (fixed minor units plus basis points of the amount). A company sees only the
products enabled for it, possibly with its own range and fee.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from domain.money import Money, format_minor, is_known_currency

BASIS_POINTS = 10_000  # 1 bp = 0.01 %


class ProductType(str, enum.Enum):
    CARD_TRANSFER = "card_transfer"
    VIRTUAL_CARD = "virtual_card"
    GIFT_CERTIFICATE = "gift_certificate"
    MOBILE_TOPUP = "mobile_topup"


class RecipientField(str, enum.Enum):
    CARD_NUMBER = "card_number"
    PHONE = "phone"
    EMAIL = "email"


# What each product type pays to: a card transfer needs a card, a top-up a phone number, and
# virtual cards and gift certificates are delivered to an e-mail address.
RECIPIENT_FOR: dict[ProductType, RecipientField] = {
    ProductType.CARD_TRANSFER: RecipientField.CARD_NUMBER,
    ProductType.VIRTUAL_CARD: RecipientField.EMAIL,
    ProductType.GIFT_CERTIFICATE: RecipientField.EMAIL,
    ProductType.MOBILE_TOPUP: RecipientField.PHONE,
}


@dataclass(frozen=True, slots=True)
class Fee:
    fixed: int = 0  # minor units
    basis_points: int = 0

    def __post_init__(self) -> None:
        if self.fixed < 0 or not 0 <= self.basis_points <= BASIS_POINTS:
            raise ValueError("a fee is a non-negative fixed part and 0..10000 basis points")

    def on(self, amount: int) -> int:
        """The fee for `amount`, rounded half up to a whole minor unit (integer arithmetic)."""
        return self.fixed + (amount * self.basis_points + BASIS_POINTS // 2) // BASIS_POINTS


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    type: ProductType
    brand: str
    currency: str
    denominations: tuple[int, ...] = ()  # fixed values; empty means a min/max range
    min_amount: int = 1
    max_amount: int = 0  # 0: no upper bound of the product's own
    fee: Fee = field(default_factory=Fee)
    provider_code: str = ""  # what the provider calls it (e.g. the gift supplier's code)
    available: bool = True

    def __post_init__(self) -> None:
        if not is_known_currency(self.currency):
            raise ValueError(f"unknown currency {self.currency!r}")
        if any(d <= 0 for d in self.denominations) or self.min_amount < 1:
            raise ValueError("amounts are positive minor units")
        if self.max_amount and self.max_amount < self.min_amount:
            raise ValueError("max_amount is below min_amount")


@dataclass(frozen=True, slots=True)
class CompanyProduct:
    """A product as enabled for one company: its own range or fee where set."""

    product_id: str
    min_amount: int | None = None
    max_amount: int | None = None
    fee: Fee | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    products: tuple[Product, ...]

    def get(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def for_company(self, enabled: tuple[CompanyProduct, ...]) -> tuple[Product, ...]:
        """What the company sees: its enabled, available products with its own terms applied."""
        seen = []
        for choice in enabled:
            product = self.get(choice.product_id)
            if product is None or not product.available:
                continue
            seen.append(
                replace(
                    product,
                    min_amount=choice.min_amount or product.min_amount,
                    max_amount=choice.max_amount or product.max_amount,
                    fee=choice.fee or product.fee,
                )
            )
        return tuple(seen)


def refusal(product: Product | None, amount: Money, recipient: RecipientField) -> str | None:
    """Why an order for `product` cannot be taken, in words a partner can act on; None if it can.

    `product` is the company's view of it (None: not in the company's catalog)."""
    if product is None:
        return "product not available: it is not in your catalog"
    if amount.currency != product.currency:
        return f"wrong currency: {product.id} pays out in {product.currency}"
    if recipient is not RECIPIENT_FOR[product.type]:
        return f"wrong recipient: {product.type.value} pays to a {RECIPIENT_FOR[product.type].value}"
    value = amount.value
    if product.denominations:
        if value not in product.denominations:
            choices = ", ".join(format_minor(d, product.currency) for d in product.denominations)
            return f"amount not offered: {product.id} comes in {choices}"
        return None
    if value < product.min_amount:
        return f"amount too small: the minimum is {format_minor(product.min_amount, product.currency)}"
    if product.max_amount and value > product.max_amount:
        return f"amount too large: the maximum is {format_minor(product.max_amount, product.currency)}"
    return None
