"""Sanitizing outbound call bodies before they reach the call log.

Known secret fields are masked by name (card numbers keep BIN and last four, CVV, expiry and
gift codes are replaced entirely), and any other run of 12-19 digits anywhere in a string is
masked as if it were a card number (E.164 phone numbers, which start with "+", excepted), so a
PAN in an unexpected field or an error text never leaks.
"""

from __future__ import annotations

import re
from typing import Any

from domain.cards import mask_card_number

_PAN_FIELDS = frozenset({"card_number", "pan", "number"})
_SECRET_FIELDS = frozenset({"cvv", "cvc", "code", "expiry", "pin", "authorization"})
_DIGIT_RUN = re.compile(r"(?<![\d+])\d(?:[ -]?\d){11,18}(?!\d)")
REDACTED = "[redacted]"


def mask_digits(text: str) -> str:
    """Masks every run of 12-19 digits (spaces or dashes allowed between them) in free text."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return mask_card_number(digits)

    return _DIGIT_RUN.sub(_mask, text)


def _mask_pan(value: Any) -> Any:
    if isinstance(value, str):
        digits = re.sub(r"\D", "", value)
        return mask_card_number(digits) if len(digits) >= 12 else REDACTED
    return REDACTED


def sanitize(value: Any, key: str | None = None) -> Any:
    """A deep copy of a JSON value with secrets masked."""
    lowered = key.lower() if key is not None else None
    if lowered in _PAN_FIELDS and value is not None:
        return _mask_pan(value)
    if lowered in _SECRET_FIELDS and value is not None:
        return REDACTED
    if isinstance(value, dict):
        return {str(k): sanitize(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    if isinstance(value, str):
        return mask_digits(value)
    return value


def sanitize_body(body: Any) -> dict[str, Any] | None:
    if body is None:
        return None
    cleaned = sanitize(body)
    return cleaned if isinstance(cleaned, dict) else {"body": cleaned}
