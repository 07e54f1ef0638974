"""Request-body checks shared by the providers; failures become 422 JSON errors."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvalidRequest(Exception):
    """The body has a missing field or a wrong type (answered 422)."""


class MalformedBody(InvalidRequest):
    """The body is not JSON at all (answered 400 `invalid_json`)."""


async def read_object(request: Request) -> dict[str, Any]:
    """The JSON object body; InvalidRequest for malformed JSON or a non-object."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody("body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    return body


def require_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name}: non-empty string required")
    return value


def optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{name}: string or null required")
    return value


def require_money(body: dict[str, Any], name: str) -> int:
    """Minor units of a `{"value": int, "currency": "EUR"}` field."""
    money = body.get(name)
    if not isinstance(money, dict):
        raise InvalidRequest(f"{name}: money object required")
    value, currency = money.get("value"), money.get("currency")
    # bool is an int subclass; `true` is not an amount.
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidRequest(f"{name}.value: positive integer (minor units) required")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InvalidRequest(f"{name}.currency: ISO 4217 code required")
    return value


def optional_int(body: dict[str, Any], name: str, minimum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidRequest(f"{name}: integer >= {minimum} or null required")
    return value


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` Luhn-valid."""
    for d in "0123456789":
        if luhn_valid(partial + d):
            return d
    raise AssertionError("unreachable: one check digit always exists")
