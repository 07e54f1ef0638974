"""Opaque keyset cursors: the last row's sort key, bound to the listing and sort it came from.

A cursor is base64url(JSON) plus a short checksum, so a hand-edited or truncated cursor is
refused (`InvalidCursor`, a 400 problem) instead of silently moving the page. The checksum is
no access control: every listing still filters by what the caller may see, and a cursor's
values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Any

import orjson

from domain.errors import InvalidCursor

_CHECK_BYTES = 6
_MAX_LENGTH = 1_000


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=_CHECK_BYTES, person=b"quadra-cursor").digest()


def encode_cursor(kind: str, values: list[Any]) -> str:
    """`kind` names the listing and sort (e.g. "tx:created_at:desc"); `values` the row's key.
    Datetimes are carried as ISO 8601 strings; decode them with `cursor_datetime`."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = orjson.dumps({"k": kind, "v": plain})
    return base64.urlsafe_b64encode(raw + _digest(raw)).decode().rstrip("=")


def decode_cursor(kind: str, token: str) -> list[Any]:
    """The values of a cursor `encode_cursor(kind, …)` made; InvalidCursor for anything else."""
    if not token or len(token) > _MAX_LENGTH:
        raise InvalidCursor("not a cursor from this API", "cursor")
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("not a cursor from this API", "cursor") from None
    raw, check = blob[:-_CHECK_BYTES], blob[-_CHECK_BYTES:]
    if len(blob) <= _CHECK_BYTES or _digest(raw) != check:
        raise InvalidCursor("not a cursor from this API", "cursor")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidCursor("not a cursor from this API", "cursor") from None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("v"), list):
        raise InvalidCursor("the cursor belongs to another listing or sort order", "cursor")
    return list(data["v"])


def cursor_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidCursor("not a cursor from this API", "cursor")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCursor("not a cursor from this API", "cursor") from None
    if parsed.tzinfo is None:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return parsed


def cursor_str(value: Any, max_length: int = 200) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return value


def cursor_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return value
