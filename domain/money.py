"""Money is an integer count of minor units plus an ISO 4217 currency: never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    value: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError("money value must be an int of minor units")
        if not _CURRENCY.match(self.currency):
            raise ValueError("currency must be a 3-letter ISO 4217 code")


# ISO 4217 codes Quadra accepts, with their minor-unit exponents.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BGN": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "COP": 2,
    "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3, "KZT": 2, "MXN": 2, "MYR": 2,
    "NGN": 2, "NOK": 2, "NZD": 2, "PHP": 2, "PLN": 2, "RON": 2, "RSD": 2, "RUB": 2, "SAR": 2, "SEK": 2,
    "SGD": 2, "THB": 2, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "UZS": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip


def is_known_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def format_minor(value: int, currency: str) -> str:
    """1050, "EUR" → "10.50 EUR" (exact: integer arithmetic, no floats)."""
    return f"{decimal_string(value, currency)} {currency}"


def decimal_string(value: int, currency: str) -> str:
    """1050, "EUR" → "10.50"; 1050, "JPY" → "1050"; -5, "KWD" → "-0.005" (no floats)."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    sign = "-" if value < 0 else ""
    units, minor = divmod(abs(value), 10**exponent)
    return f"{sign}{units}.{minor:0{exponent}d}" if exponent else f"{sign}{units}"
