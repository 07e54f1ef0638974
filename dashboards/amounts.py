"""Amounts as people type them into back-office forms, to integer minor units: exactly, by
string arithmetic, never through a float.

English: "1234.56", "1,234.56" (groups of three split by commas or spaces, a decimal point).
Russian: "1234,56", "1 234,56" (groups split by spaces, including the no-break spaces our own
money format prints, and a decimal comma; a decimal point is read as one too, since people
type it). What one language would read differently from the other ("1,234" is 1.234 in
Russian) is read by the viewer's language, and anything ambiguous within it is refused.
"""

from __future__ import annotations

import re

from dashboards.i18n import UiLocale
from domain.ledger_commands import MAX_AMOUNT
from domain.money import CURRENCY_EXPONENTS

MAX_TYPED = 40  # far more than the digits of MAX_AMOUNT with separators; bounds the work
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space
_MINUS = "-\u2212"  # hyphen-minus and the minus sign
# [0-9], not \d: \d also matches other scripts' digits, which int() would quietly accept.
_EN = re.compile(r"^(?P<int>[0-9]{1,3}(?:(?P<sep>[, \u00a0\u202f])[0-9]{3})(?:(?P=sep)[0-9]{3})*|[0-9]+)(?:\.(?P<frac>[0-9]+))?$")
_RU = re.compile(r"^(?P<int>[0-9]{1,3}(?:(?P<sep>[ \u00a0\u202f])[0-9]{3})(?:(?P=sep)[0-9]{3})*|[0-9]+)(?:[.,](?P<frac>[0-9]+))?$")


class AmountError(ValueError):
    """Why a typed amount was refused; `code` names a translation key `amount.<code>`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def exponent_of(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


def parse_amount(
    typed: str, currency: str, locale: UiLocale, *, signed: bool = False, max_minor: int = MAX_AMOUNT
) -> int:
    """The typed amount in minor units of `currency`; AmountError when it is not one.

    Codes: empty, not_a_number, too_many_decimals, negative (a sign where none is allowed),
    too_large (above `max_minor` in absolute value)."""
    text = typed.strip(_SPACES + "\t")
    if not text:
        raise AmountError("empty")
    if len(text) > MAX_TYPED:
        raise AmountError("not_a_number")
    negative = text[0] in _MINUS
    if text[0] in _MINUS + "+":
        text = text[1:].lstrip(_SPACES)
    match = (_RU if locale is UiLocale.RU else _EN).match(text)
    if match is None:
        raise AmountError("not_a_number")
    if negative and not signed:
        raise AmountError("negative")
    whole = match["int"].translate({ord(c): None for c in ", \u00a0\u202f"})
    fraction = match["frac"] or ""
    exponent = exponent_of(currency)
    if len(fraction) > exponent:
        raise AmountError("too_many_decimals")
    minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    if minor > max_minor:
        raise AmountError("too_large")
    return -minor if negative else minor


def parse_optional_amount(
    typed: str, currency: str, locale: UiLocale, *, max_minor: int = MAX_AMOUNT
) -> int | None:
    """None for a blank field (no value: no cap, no alert), else as parse_amount."""
    if not typed.strip(_SPACES + "\t"):
        return None
    return parse_amount(typed, currency, locale, max_minor=max_minor)


def as_typed(minor: int | None, currency: str, locale: UiLocale) -> str:
    """Minor units as a person would type them back into a field: "1234.56" / "1234,56"."""
    if minor is None:
        return ""
    exponent = exponent_of(currency)
    units, fraction = divmod(abs(minor), 10**exponent)
    sign = "-" if minor < 0 else ""
    if not exponent:
        return f"{sign}{units}"
    point = "," if locale is UiLocale.RU else "."
    return f"{sign}{units}{point}{fraction:0{exponent}d}"
