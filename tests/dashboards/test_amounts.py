"""Typed amounts to minor units: exact, by each language's rules, refusing what is not one."""

from __future__ import annotations

import pytest

from dashboards.amounts import AmountError, as_typed, parse_amount, parse_optional_amount
from dashboards.i18n import UiLocale
from domain.ledger_commands import MAX_AMOUNT

EN, RU = UiLocale.EN, UiLocale.RU


@pytest.mark.parametrize(
    "typed, currency, locale, minor",
    [
        ("1234.56", "RUB", EN, 123456),
        ("1,234.56", "RUB", EN, 123456),
        ("1 234.56", "RUB", EN, 123456),
        ("1234", "RUB", EN, 123400),
        ("0.01", "RUB", EN, 1),
        ("0.1", "RUB", EN, 10),
        ("  42  ", "EUR", EN, 4200),
        ("+5", "EUR", EN, 500),
        ("1234,56", "RUB", RU, 123456),
        ("1 234,56", "RUB", RU, 123456),
        ("1\u00a0234\u00a0567,89", "RUB", RU, 123456789),  # as our own money format prints it
        ("1\u202f234,5", "RUB", RU, 123450),
        ("1234.56", "RUB", RU, 123456),  # a decimal point is read as one in Russian too
        ("100000", "JPY", EN, 100000),
        ("1.005", "KWD", EN, 1005),
        ("1,005", "KWD", RU, 1005),
        ("0", "RUB", EN, 0),
        ("9999999999999.99", "RUB", EN, 999999999999999),
        ("10000000000000", "RUB", EN, MAX_AMOUNT),
        ("19999999.99", "RUB", EN, 1999999999),  # a float would make this ...98.99999
    ],
)
def test_typed_amounts_become_exact_minor_units(typed: str, currency: str, locale: UiLocale, minor: int) -> None:
    assert parse_amount(typed, currency, locale) == minor


@pytest.mark.parametrize(
    "typed, currency, locale, code",
    [
        ("", "RUB", EN, "empty"),
        ("   ", "RUB", RU, "empty"),
        ("1.234", "RUB", EN, "too_many_decimals"),
        ("1,234", "RUB", RU, "too_many_decimals"),  # 1.234 in Russian, not 1234
        ("0.001", "EUR", EN, "too_many_decimals"),
        ("5.0", "JPY", EN, "too_many_decimals"),
        ("-5", "RUB", EN, "negative"),
        ("\u22125", "RUB", RU, "negative"),
        ("10000000000000.01", "RUB", EN, "too_large"),
        ("99999999999999999999999999999999", "RUB", EN, "too_large"),
        ("9" * 41, "RUB", EN, "not_a_number"),
        ("abc", "RUB", EN, "not_a_number"),
        ("12a", "RUB", EN, "not_a_number"),
        ("1e5", "RUB", EN, "not_a_number"),
        ("NaN", "RUB", EN, "not_a_number"),
        ("inf", "RUB", EN, "not_a_number"),
        ("0x10", "RUB", EN, "not_a_number"),
        ("1_000", "RUB", EN, "not_a_number"),
        ("1,23,456", "RUB", EN, "not_a_number"),
        ("1,234 567", "RUB", EN, "not_a_number"),  # mixed group separators
        ("1234,56", "RUB", EN, "not_a_number"),  # a decimal comma is Russian, not English
        ("1,234.56", "RUB", RU, "not_a_number"),  # and English grouping is not Russian
        ("1.", "RUB", EN, "not_a_number"),
        (".5", "RUB", EN, "not_a_number"),
        ("1..5", "RUB", EN, "not_a_number"),
        ("--5", "RUB", EN, "not_a_number"),
        ("١٢٣", "RUB", EN, "not_a_number"),  # Arabic-Indic digits
        ("<script>alert(1)</script>", "RUB", EN, "not_a_number"),
        ("' OR 1=1 --", "RUB", RU, "not_a_number"),
    ],
)
def test_what_is_not_an_amount_is_refused_with_a_reason(typed: str, currency: str, locale: UiLocale, code: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, currency, locale)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "typed, locale, minor",
    [("-1234.56", EN, -123456), ("\u22121 234,56", RU, -123456), ("- 5", EN, -500), ("+7,5", RU, 750)],
)
def test_signed_amounts_where_a_sign_is_allowed(typed: str, locale: UiLocale, minor: int) -> None:
    assert parse_amount(typed, "RUB", locale, signed=True) == minor


def test_the_limit_holds_for_negative_amounts_and_a_smaller_cap() -> None:
    with pytest.raises(AmountError, match="too_large"):
        parse_amount("-10000000000000.01", "RUB", EN, signed=True)
    with pytest.raises(AmountError, match="too_large"):
        parse_amount("10.01", "RUB", EN, max_minor=1000)


def test_a_blank_optional_amount_is_none() -> None:
    assert parse_optional_amount(" ", "RUB", RU) is None
    assert parse_optional_amount("1 000", "RUB", RU) == 100000


@pytest.mark.parametrize(
    "minor, currency, locale",
    [(123456, "RUB", EN), (123456, "RUB", RU), (-5, "EUR", EN), (100000, "JPY", RU), (1005, "KWD", EN), (0, "RUB", RU)],
)
def test_an_amount_typed_back_reads_the_same(minor: int, currency: str, locale: UiLocale) -> None:
    assert parse_amount(as_typed(minor, currency, locale), currency, locale, signed=True) == minor
    assert as_typed(None, currency, locale) == ""
