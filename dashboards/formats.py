"""Numbers, money and times as each UI language writes them (exact: no floats for money).

Russian (CLDR `ru`): groups of three split by a no-break space, a decimal comma and the
currency sign after the number: 1 234 567,89 ₽. English: 1,234,567.89 RUB.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dashboards.i18n import UiLocale
from domain.money import CURRENCY_EXPONENTS

NBSP = "\u00a0"
_SIGNS_RU = {"RUB": "₽", "USD": "$", "EUR": "€"}


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def number(value: int, locale: UiLocale) -> str:
    sign = "-" if value < 0 else ""
    return sign + _group(str(abs(value)), NBSP if locale is UiLocale.RU else ",")


def money(minor: int, currency: str, locale: UiLocale) -> str:
    """1234567_89, "RUB": ru → "1 234 567,89 ₽", en → "1,234,567.89 RUB"."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    units, fraction = divmod(abs(int(minor)), 10**exponent)
    sign = "-" if minor < 0 else ""
    if locale is UiLocale.RU:
        text = _group(str(units), NBSP) + (f",{fraction:0{exponent}d}" if exponent else "")
        return f"{sign}{text}{NBSP}{_SIGNS_RU.get(currency, currency)}"
    text = _group(str(units), ",") + (f".{fraction:0{exponent}d}" if exponent else "")
    return f"{sign}{text}{NBSP}{currency}"


def when(at: datetime | None, locale: UiLocale, seconds: bool = False) -> str:
    """A UTC time: ru → 27.11.2026 14:05, en → 2026-11-27 14:05."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return at.strftime(("%d.%m.%Y " if locale is UiLocale.RU else "%Y-%m-%d ") + clock)
