"""The catalog: products partners can pay out, and each company's view of them.

A product has a type, a brand, one currency, either fixed denominations or a min/max range,
and a fee (fixed minor units plus basis points of the amount). A company sees only the
products enabled for it, possibly with its own range and fee.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.errors import Conflict, InvalidCommand
from domain.money import Money, format_minor, is_known_currency

BASIS_POINTS = 10_000  # 1 bp = 0.01 %
MAX_MINOR_UNITS = 10**12  # far above any single payout; keeps amounts and fees sane
MAX_DENOMINATIONS = 50
MAX_COMPANY_PRODUCTS = 500
PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,63}$")  # in URLs and partners' code: plain
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


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
        if not 0 <= self.fixed <= MAX_MINOR_UNITS or not 0 <= self.basis_points <= BASIS_POINTS:
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
        if not PRODUCT_ID.match(self.id):
            raise ValueError("id must be 1-64 of a-z, 0-9, '.', '_', '-', starting alphanumeric")
        if not 1 <= len(self.brand) <= 100 or not _PRINTABLE.match(self.brand):
            raise ValueError("brand must be 1-100 printable characters")
        if len(self.provider_code) > 100 or not _PRINTABLE.match(self.provider_code):
            raise ValueError("provider_code must be up to 100 printable characters")
        if not is_known_currency(self.currency):
            raise ValueError(f"unknown currency {self.currency!r}")
        amounts = (*self.denominations, self.min_amount, self.max_amount)
        if any(d <= 0 for d in self.denominations) or self.min_amount < 1:
            raise ValueError("amounts are positive minor units")
        if any(a > MAX_MINOR_UNITS for a in amounts) or self.max_amount < 0:
            raise ValueError(f"amounts are at most {MAX_MINOR_UNITS} minor units")
        if len(self.denominations) > MAX_DENOMINATIONS:
            raise ValueError(f"at most {MAX_DENOMINATIONS} denominations")
        if len(set(self.denominations)) != len(self.denominations):
            raise ValueError("denominations repeat a value")
        if self.max_amount and self.max_amount < self.min_amount:
            raise ValueError("max_amount is below min_amount")


@dataclass(frozen=True, slots=True)
class CompanyProduct:
    """A product as enabled for one company: its own range or fee where set."""

    product_id: str
    min_amount: int | None = None
    max_amount: int | None = None
    fee: Fee | None = None

    def __post_init__(self) -> None:
        if not PRODUCT_ID.match(self.product_id):
            raise ValueError(f"{self.product_id[:70]!r} is not a product id")
        low, high = self.min_amount, self.max_amount
        if any(a is not None and not 1 <= a <= MAX_MINOR_UNITS for a in (low, high)):
            raise ValueError(f"{self.product_id}: amounts are 1..{MAX_MINOR_UNITS} minor units")
        if low is not None and high is not None and high < low:
            raise ValueError(f"{self.product_id}: max_amount is below min_amount")


@dataclass(frozen=True, slots=True)
class Catalog:
    products: tuple[Product, ...]

    def get(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def for_company(self, enabled: tuple[CompanyProduct, ...]) -> tuple[Product, ...]:
        """What the company sees: its enabled, available products with its own terms applied."""
        seen = (company_terms(self, enabled, choice.product_id) for choice in enabled)
        return tuple(p for p in seen if p is not None)


def on_terms(product: Product, choice: CompanyProduct) -> Product | None:
    """The product on a company's terms; None when no amount fits both. The company's range
    only narrows the product's: the product's range is what the provider pays, and it may have
    narrowed since the company's was set."""
    low = max(choice.min_amount or product.min_amount, product.min_amount)
    high = choice.max_amount or product.max_amount
    if product.max_amount and high:
        high = min(high, product.max_amount)
    if high and high < low:
        return None
    fee = choice.fee if choice.fee is not None else product.fee
    return replace(product, min_amount=low, max_amount=high, fee=fee)


def company_terms(
    catalog: ProductSource, enabled: tuple[CompanyProduct, ...], product_id: str
) -> Product | None:
    """The one product `product_id` as the company sees it; None when it is not offered (not
    enabled, unknown, unavailable, or no amount fits both the product's and the company's range)."""
    choice = next((c for c in enabled if c.product_id == product_id), None)
    product = catalog.get(product_id) if choice is not None else None
    if choice is None or product is None or not product.available:
        return None
    return on_terms(product, choice)


def check_company_catalog(choices: tuple[CompanyProduct, ...]) -> tuple[CompanyProduct, ...]:
    """The choices as given, if they name each product once; raises InvalidCommand."""
    if len(choices) > MAX_COMPANY_PRODUCTS:
        raise InvalidCommand(f"a company catalog holds at most {MAX_COMPANY_PRODUCTS} products")
    ids = [c.product_id for c in choices]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidCommand(f"products listed twice: {', '.join(repeated)}")
    return choices


def check_against_catalog(
    catalog: ProductSource, choices: tuple[CompanyProduct, ...]
) -> None:
    """Every choice names a known product and only narrows its range; raises InvalidCommand
    pointing at the first choice at fault (`/products/<index>/…`)."""
    check_company_catalog(choices)
    for index, choice in enumerate(choices):
        at = f"/products/{index}"
        product = catalog.get(choice.product_id)
        if product is None:
            raise InvalidCommand(f"unknown product {choice.product_id}", f"{at}/product_id")
        if choice.min_amount is not None and choice.min_amount < product.min_amount:
            raise InvalidCommand(
                f"{product.id}: min_amount is below the product's minimum {product.min_amount}",
                f"{at}/min_amount",
            )
        if product.max_amount and (choice.max_amount or 0) > product.max_amount:
            raise InvalidCommand(
                f"{product.id}: max_amount is above the product's maximum {product.max_amount}",
                f"{at}/max_amount",
            )
        if product.max_amount and (choice.min_amount or 0) > product.max_amount:
            raise InvalidCommand(
                f"{product.id}: min_amount is above the product's maximum {product.max_amount}",
                f"{at}/min_amount",
            )


class ProductSource(Protocol):
    """Where products are looked up: a Catalog, or the replica of the staff-managed topic."""

    def get(self, product_id: str) -> Product | None: ...


@dataclass(frozen=True, slots=True)
class ProductRevision:
    """A product as staff last saved it: the record on the products topic."""

    product: Product
    version: int  # 1 when created, +1 per save: staff edits name the version they saw
    updated_at: datetime
    updated_by: str = ""  # staff user id, or "system:seed"


def revise_product(
    current: ProductRevision | None, product: Product, expected_version: int, at: datetime, by: str
) -> ProductRevision:
    """The next revision of a product. `expected_version` is the version the editor saw (0 for
    a new product); anything else means someone saved in between: Conflict, nothing changes."""
    seen = current.version if current is not None else 0
    if expected_version != seen:
        if current is None:
            raise Conflict(f"no product {product.id} yet: create it with version 0")
        raise Conflict(
            f"product {product.id} is at version {seen}, not {expected_version}: "
            "reload it and apply your change again"
        )
    if current is not None and current.product.type is not product.type:
        raise InvalidCommand("a product's type cannot change: create a new product", "/type")
    return ProductRevision(product, seen + 1, at, by)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an order cannot be taken: the request field at fault and words a partner can act on."""

    field: str  # JSON pointer into the order body
    reason: str


def refusal(product: Product | None, amount: Money, recipient: RecipientField) -> str | None:
    """Why an order for `product` cannot be taken, in words a partner can act on; None if it can.

    `product` is the company's view of it (None: not in the company's catalog)."""
    found = refusal_of(product, amount, recipient)
    return found.reason if found is not None else None


def refusal_of(product: Product | None, amount: Money, recipient: RecipientField) -> Refusal | None:
    """As `refusal`, naming the field at fault."""
    if product is None:
        return Refusal("/product_id", "product not available: it is not in your catalog")
    if amount.currency != product.currency:
        return Refusal("/amount/currency", f"wrong currency: {product.id} pays out in {product.currency}")
    if recipient is not RECIPIENT_FOR[product.type]:
        wanted = RECIPIENT_FOR[product.type].value
        return Refusal("/recipient", f"wrong recipient: {product.type.value} pays to a {wanted}")
    value = amount.value
    if product.denominations:
        if value not in product.denominations:
            choices = ", ".join(format_minor(d, product.currency) for d in product.denominations)
            return Refusal("/amount/value", f"amount not offered: {product.id} comes in {choices}")
        return None
    if value < product.min_amount:
        minimum = format_minor(product.min_amount, product.currency)
        return Refusal("/amount/value", f"amount too small: the minimum is {minimum}")
    if product.max_amount and value > product.max_amount:
        maximum = format_minor(product.max_amount, product.currency)
        return Refusal("/amount/value", f"amount too large: the maximum is {maximum}")
    return None
