"""Both languages complete; money, numbers and times as each language writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboards.formats import NBSP, money, number, when
from dashboards.i18n import Translator, UiLocale, catalog

TEMPLATES = Path(__file__).resolve().parents[2] / "dashboards" / "templates"


def test_every_catalog_has_the_same_keys_and_placeholders() -> None:
    english, russian = catalog(UiLocale.EN), catalog(UiLocale.RU)
    assert set(english) == set(russian), set(english) ^ set(russian)
    for key in english:
        assert re.findall(r"{\w+}", english[key]) == re.findall(r"{\w+}", russian[key]), key


def test_every_literal_key_a_template_uses_is_in_the_catalog() -> None:
    used = {
        key
        for path in TEMPLATES.rglob("*.html")
        for key in re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""", path.read_text())
    }
    assert used - set(catalog(UiLocale.EN)) == set()


def test_a_missing_key_falls_back_to_english_then_to_itself() -> None:
    assert Translator(UiLocale.RU)("login.submit") == "Войти"
    assert Translator(UiLocale.RU)("no.such.key") == "no.such.key"
    assert Translator(UiLocale.EN)("home.title", name="Ann") == "Hello, Ann"


@pytest.mark.parametrize(
    "minor, currency, locale, text",
    [
        (123456789, "RUB", UiLocale.RU, f"1{NBSP}234{NBSP}567,89{NBSP}₽"),
        (123456789, "RUB", UiLocale.EN, f"1,234,567.89{NBSP}RUB"),
        (-5, "RUB", UiLocale.RU, f"-0,05{NBSP}₽"),
        (0, "EUR", UiLocale.RU, f"0,00{NBSP}€"),
        (100000, "JPY", UiLocale.EN, f"100,000{NBSP}JPY"),
        (1005, "KWD", UiLocale.RU, f"1,005{NBSP}KWD"),
        (99900, "USD", UiLocale.RU, f"999,00{NBSP}$"),
    ],
)
def test_money(minor: int, currency: str, locale: UiLocale, text: str) -> None:
    assert money(minor, currency, locale) == text


def test_numbers_and_times() -> None:
    assert number(1234567, UiLocale.RU) == f"1{NBSP}234{NBSP}567"
    assert number(-1234, UiLocale.EN) == "-1,234"
    at = datetime(2026, 11, 27, 14, 5, 9, tzinfo=UTC)
    assert when(at, UiLocale.RU) == "27.11.2026 14:05"
    assert when(at, UiLocale.EN, seconds=True) == "2026-11-27 14:05:09"
    assert when(None, UiLocale.EN) == "—"
