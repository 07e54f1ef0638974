"""Logged bodies as people read them: JSON pretty-printed (indent 2), anything else as stored.

The stored text is already sanitized (api/sanitize.py), but its rules read the raw text:
a JSON escape (`"\\u0070an"`, `"4111\\u0031…"`) hides a key or a card number from them that
decoding brings back. So a pretty-printed body goes through the same sanitizer again, and a
body is only reformatted when that loses nothing (no duplicate keys, numbers written as
Python writes them back, no NaN/Infinity); otherwise it is shown exactly as stored.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from api.sanitize import sanitize_text


class _NotLossless(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _NotLossless("duplicate key")
    return found


# A fraction written the plain way (no exponent, no trailing zero) is reprinted exactly as it
# came: its text is kept, never turned into a float (it may well be money).
_PLAIN_FRACTION = re.compile(r"^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{0,14}[1-9]$")


class _Fractions:
    """Stands each fraction in for a unique token while the document is reprinted, then puts
    the original text back."""

    def __init__(self) -> None:
        self.tag = "\x00n" + secrets.token_hex(4)
        self.texts: list[str] = []

    def __call__(self, text: str) -> str:
        if not _PLAIN_FRACTION.match(text):  # 10.50, 1e5: shown as written
            raise _NotLossless(text)
        self.texts.append(text)
        return f"{self.tag}{len(self.texts) - 1}\x00"

    def restore(self, printed: str) -> str:
        return re.sub(
            re.escape(json.dumps(self.tag)[:-1]) + r"([0-9]+)\\u0000\"", lambda m: self.texts[int(m.group(1))], printed
        )


def _int(text: str) -> int:
    value = int(text)
    if str(value) != text:  # -0
        raise _NotLossless(text)
    return value


def _constant(text: str) -> float:
    raise _NotLossless(text)


def shown_body(text: str) -> str:
    """The body to put in a <pre> (the template escapes it)."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    fractions = _Fractions()
    try:
        parsed = json.loads(
            stripped, object_pairs_hook=_pairs, parse_float=fractions, parse_int=_int, parse_constant=_constant
        )
    except (ValueError, RecursionError):  # not JSON (a capped body ends "…[n more chars]"), or lossy
        return text
    pretty = fractions.restore(json.dumps(parsed, indent=2, ensure_ascii=False))
    return sanitize_text(pretty, cap=16 * len(pretty) + 64)  # redaction may lengthen it: never cut
