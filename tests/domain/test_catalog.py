from __future__ import annotations

import pytest

from domain.catalog import (
    Catalog,
    CompanyProduct,
    Fee,
    Product,
    ProductType,
    RecipientField,
    refusal,
)
from domain.money import Money

CARD = Product("card-transfer-eur", ProductType.CARD_TRANSFER, "Visa/Mastercard", "EUR",
               min_amount=100, max_amount=500_000, fee=Fee(25, 150))  # fmt: skip
GIFT = Product("amazon-de-50", ProductType.GIFT_CERTIFICATE, "Amazon.de", "EUR",
               denominations=(2500, 5000), provider_code="amazon-de-50")  # fmt: skip
TOPUP = Product("topup-de", ProductType.MOBILE_TOPUP, "Telekom/Vodafone", "EUR", min_amount=500, max_amount=10_000)
RETIRED = Product("old-card", ProductType.VIRTUAL_CARD, "Old", "EUR", available=False)
CATALOG = Catalog((CARD, GIFT, TOPUP, RETIRED))


@pytest.mark.parametrize(
    ("amount", "fee"),
    [(10_000, 25 + 150), (1, 25 + 0), (33, 25 + 0), (34, 25 + 1), (1_000_000, 25 + 15_000)],
)
def test_fee_is_fixed_plus_basis_points_rounded_half_up(amount: int, fee: int) -> None:
    assert CARD.fee.on(amount) == fee


@pytest.mark.parametrize(
    ("product", "amount", "recipient", "reason"),
    [
        (CARD, Money(1500, "EUR"), RecipientField.CARD_NUMBER, None),
        (None, Money(1500, "EUR"), RecipientField.CARD_NUMBER, "not in your catalog"),
        (CARD, Money(1500, "USD"), RecipientField.CARD_NUMBER, "pays out in EUR"),
        (CARD, Money(1500, "EUR"), RecipientField.PHONE, "pays to a card_number"),
        (CARD, Money(99, "EUR"), RecipientField.CARD_NUMBER, "minimum is 1.00 EUR"),
        (CARD, Money(500_001, "EUR"), RecipientField.CARD_NUMBER, "maximum is 5000.00 EUR"),
        (GIFT, Money(5000, "EUR"), RecipientField.EMAIL, None),
        (GIFT, Money(4000, "EUR"), RecipientField.EMAIL, "comes in 25.00 EUR, 50.00 EUR"),
        (TOPUP, Money(500, "EUR"), RecipientField.PHONE, None),
    ],
)  # fmt: skip
def test_refusal(product: Product | None, amount: Money, recipient: RecipientField, reason: str | None) -> None:
    result = refusal(product, amount, recipient)
    assert (result is None) if reason is None else (result is not None and reason in result)


def test_a_company_sees_its_enabled_available_products_on_its_own_terms() -> None:
    seen = CATALOG.for_company((
        CompanyProduct("card-transfer-eur", max_amount=20_000, fee=Fee(0, 100)),
        CompanyProduct("amazon-de-50"),
        CompanyProduct("old-card"),  # retired: not shown
        CompanyProduct("nope"),  # unknown: not shown
    ))  # fmt: skip
    assert [p.id for p in seen] == ["card-transfer-eur", "amazon-de-50"]
    assert seen[0].max_amount == 20_000 and seen[0].min_amount == 100 and seen[0].fee == Fee(0, 100)
    assert refusal(seen[0], Money(30_000, "EUR"), RecipientField.CARD_NUMBER) is not None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"currency": "XXX"},
        {"denominations": (0,)},
        {"min_amount": 0},
        {"min_amount": 500, "max_amount": 100},
    ],
)
def test_invalid_products_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Product(**{"id": "p", "type": ProductType.CARD_TRANSFER, "brand": "b", "currency": "EUR", **kwargs})


@pytest.mark.parametrize("fee", [(-1, 0), (0, -1), (0, 10_001)])
def test_invalid_fees_are_refused(fee: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        Fee(*fee)
