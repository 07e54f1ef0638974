"""Request-scoped dependencies: the services, the caller's API key, protocol headers.

All are `async def`: FastAPI would run plain functions in a thread pool, one hop each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request

from api import errors
from api.order_service import OrderService
from domain.companies import ApiKey, hash_api_key

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,3}(?:\.\d{1,3})?)\"?", re.IGNORECASE)
_KEY_SHAPE = re.compile(r"^qk_(test|live)_[A-Za-z0-9_\-]{20,100}$")


class KeyLookup(Protocol):
    def lookup(self, key_hash: str) -> ApiKey | None: ...


@dataclass(frozen=True, slots=True)
class ApiServices:
    orders: OrderService
    keys: KeyLookup


def services(request: Request) -> ApiServices:
    return request.app.state.services  # type: ignore[no-any-return]


async def authenticate(request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise errors.unauthorized("Send Authorization: Bearer <api key>.")
    if scheme.lower() != "bearer" or not _KEY_SHAPE.match(token.strip()):
        raise errors.unauthorized("Authorization must be 'Bearer qk_test_…' or 'Bearer qk_live_…'.")
    key = services(request).keys.lookup(hash_api_key(token.strip()))
    if key is None:
        raise errors.unauthorized("Unknown or revoked API key.")
    request.state.company_id = key.company_id
    return key


async def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise errors.unsupported_media_type(media)


async def idempotency_key(request: Request) -> str:
    value = request.headers.get("idempotency-key")
    if value is None:
        raise errors.missing_header(
            "Idempotency-Key", "POST /v1/orders needs an Idempotency-Key so retries are safe."
        )
    if not _IDEMPOTENCY_KEY.match(value):
        raise errors.bad_header("Idempotency-Key", "1-255 printable ASCII characters, no spaces.")
    return value


async def prefer_wait(request: Request) -> float | None:
    """RFC 7240 `Prefer: wait=N`; a preference we cannot read is ignored, as the RFC says."""
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return float(match.group(1)) if match else None
