from __future__ import annotations

from dataclasses import replace

import pytest

from domain.catalog import (
    Catalog,
    CompanyProduct,
    Fee,
    Product,
    ProductRevision,
    ProductType,
    RecipientField,
    Refusal,
    check_against_catalog,
    check_company_catalog,
    company_terms,
    refusal,
    refusal_of,
    revise_product,
)
from domain.errors import Conflict, InvalidCommand
from domain.money import Money
from tests.builders import T0

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


@pytest.mark.parametrize(
    ("choice", "low", "high", "fee"),
    [
        (CompanyProduct("card-transfer-eur"), 100, 500_000, Fee(25, 150)),
        (CompanyProduct("card-transfer-eur", min_amount=50), 100, 500_000, Fee(25, 150)),  # clamped
        (CompanyProduct("card-transfer-eur", max_amount=900_000), 100, 500_000, Fee(25, 150)),
        (CompanyProduct("card-transfer-eur", 1000, 2000, Fee(0, 0)), 1000, 2000, Fee(0, 0)),
        (CompanyProduct("topup-de", max_amount=700), 500, 700, TOPUP.fee),
    ],
)  # fmt: skip
def test_company_terms_only_narrow_the_product(
    choice: CompanyProduct, low: int, high: int, fee: Fee
) -> None:
    [seen] = CATALOG.for_company((choice,))
    assert (seen.min_amount, seen.max_amount, seen.fee) == (low, high, fee)
    assert company_terms(CATALOG, (choice,), choice.product_id) == seen


@pytest.mark.parametrize(
    ("enabled", "product_id"),
    [((), "card-transfer-eur"), ((CompanyProduct("topup-de"),), "card-transfer-eur"),
     ((CompanyProduct("old-card"),), "old-card"), ((CompanyProduct("nope"),), "nope"),
     ((CompanyProduct("topup-de", min_amount=20_000),), "topup-de")],  # the product narrowed since
)  # fmt: skip
def test_company_terms_of_what_is_not_offered_is_none(
    enabled: tuple[CompanyProduct, ...], product_id: str
) -> None:
    assert company_terms(CATALOG, enabled, product_id) is None
    assert refusal_of(None, Money(1500, "EUR"), RecipientField.EMAIL) == Refusal(
        "/product_id", "product not available: it is not in your catalog"
    )


@pytest.mark.parametrize(
    ("product", "amount", "recipient", "pointer"),
    [
        (CARD, Money(1500, "USD"), RecipientField.CARD_NUMBER, "/amount/currency"),
        (CARD, Money(1500, "EUR"), RecipientField.PHONE, "/recipient"),
        (CARD, Money(99, "EUR"), RecipientField.CARD_NUMBER, "/amount/value"),
        (GIFT, Money(4000, "EUR"), RecipientField.EMAIL, "/amount/value"),
    ],
)  # fmt: skip
def test_a_refusal_names_the_field_at_fault(
    product: Product, amount: Money, recipient: RecipientField, pointer: str
) -> None:
    found = refusal_of(product, amount, recipient)
    assert found is not None and found.field == pointer
    assert found.reason == refusal(product, amount, recipient)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "Has Spaces"}, {"id": "UPPER"}, {"id": "-lead"}, {"id": "x" * 65}, {"brand": ""},
        {"brand": "a\u0000b"}, {"brand": "b" * 101}, {"denominations": (500, 500)},
        {"denominations": tuple(range(1, 52))}, {"max_amount": 10**13}, {"max_amount": -1},
        {"provider_code": "p" * 101},
    ],
)  # fmt: skip
def test_hostile_products_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Product(**{"id": "p", "type": ProductType.CARD_TRANSFER, "brand": "b", "currency": "EUR", **kwargs})


@pytest.mark.parametrize(
    "kwargs",
    [{"product_id": "Bad Id"}, {"min_amount": 0}, {"max_amount": 10**13},
     {"min_amount": 500, "max_amount": 100}],
)  # fmt: skip
def test_invalid_company_products_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CompanyProduct(**{"product_id": "p", **kwargs})


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ((CompanyProduct("topup-de"), CompanyProduct("topup-de")), "listed twice"),
        ((CompanyProduct("nope"),), "unknown product nope"),
        ((CompanyProduct("topup-de", min_amount=100),), "below the product's minimum"),
        ((CompanyProduct("topup-de", max_amount=20_000),), "max_amount is above the product's maximum"),
        ((CompanyProduct("topup-de", min_amount=20_000),), "min_amount is above the product's maximum"),
    ],
)  # fmt: skip
def test_a_company_catalog_must_fit_the_products(
    choices: tuple[CompanyProduct, ...], message: str
) -> None:
    with pytest.raises(InvalidCommand, match=message):
        check_against_catalog(CATALOG, choices)


def test_a_fitting_company_catalog_passes() -> None:
    check_against_catalog(CATALOG, (CompanyProduct("topup-de", 600, 9000, Fee(10, 0)),))
    with pytest.raises(InvalidCommand, match="at most"):
        check_company_catalog(tuple(CompanyProduct(f"p{i}") for i in range(501)))


@pytest.mark.parametrize(
    ("current_version", "expected", "outcome"),
    [(None, 0, 1), (1, 1, 2), (4, 4, 5), (None, 1, Conflict), (2, 1, Conflict), (2, 0, Conflict),
     (2, 3, Conflict)],
)  # fmt: skip
def test_product_revisions_are_optimistic(
    current_version: int | None, expected: int, outcome: int | type[Exception]
) -> None:
    current = None if current_version is None else ProductRevision(CARD, current_version, T0, "a")
    edited = replace(CARD, brand="Visa")
    if isinstance(outcome, int):
        revised = revise_product(current, edited, expected, T0, "stf_b")
        assert (revised.version, revised.product, revised.updated_by) == (outcome, edited, "stf_b")
    else:
        with pytest.raises(outcome):
            revise_product(current, edited, expected, T0, "stf_b")


def test_a_products_type_cannot_change() -> None:
    current = ProductRevision(CARD, 1, T0)
    with pytest.raises(InvalidCommand):
        revise_product(current, replace(CARD, type=ProductType.VIRTUAL_CARD), 1, T0, "stf_b")
