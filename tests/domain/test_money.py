from __future__ import annotations

import pytest

from domain.money import Money


@pytest.mark.parametrize(
    ("value", "currency", "error"),
    [
        (10.5, "EUR", TypeError),
        (True, "EUR", TypeError),
        ("100", "EUR", TypeError),
        (100, "eur", ValueError),
        (100, "EURO", ValueError),
    ],
)
def test_money_refuses_non_integer_amounts_and_bad_currencies(
    value: object, currency: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Money(value, currency)  # type: ignore[arg-type]


def test_money_is_exact_minor_units() -> None:
    assert Money(1050, "EUR") == Money(1050, "EUR")
