"""Verify a Quadra webhook delivery (Standard Webhooks, https://www.standardwebhooks.com).

The signature is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}` with the
secret's bytes (the base64 after `whsec_`), sent base64-encoded as `v1,<signature>`; the
`webhook-signature` header may list several (space-separated) while a secret is rotated.
Verify the raw body exactly as received, before parsing it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60  # older (or newer) deliveries are refused: replays of old captures


class WebhookVerificationError(Exception):
    """The delivery is not provably from Quadra: answer 4xx and do not act on it."""


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> dict[str, object]:
    """The delivery's JSON payload if Quadra signed it within `tolerance` seconds of `now`
    (Unix time, default the clock); raises WebhookVerificationError otherwise."""
    key = _secret_bytes(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = _header(lowered, "webhook-id")
    sent_at = _header(lowered, "webhook-timestamp")
    _check_timestamp(sent_at, time.time() if now is None else now, tolerance)
    signatures = _header(lowered, "webhook-signature")
    raw = body.encode() if isinstance(body, str) else bytes(body)
    signed = f"{message_id}.{sent_at}.".encode() + raw  # the header's text, exactly as signed
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    if not any(_matches(candidate, expected) for candidate in signatures.split()):
        raise WebhookVerificationError("no matching signature")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the signed body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the signed body is not a JSON object")
    return payload


def _secret_bytes(secret: str) -> bytes:
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:  # padding is optional, as in the reference implementation
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret must be whsec_ followed by base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise WebhookVerificationError(f"missing header {name}")
    return value


def _check_timestamp(raw: str, now: float, tolerance: float) -> None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise WebhookVerificationError("webhook-timestamp is not Unix seconds")
    sent_at = int(raw)
    if sent_at < now - tolerance:
        raise WebhookVerificationError("message too old")
    if sent_at > now + tolerance:
        raise WebhookVerificationError("message timestamp too far in the future")


def _matches(candidate: str, expected: bytes) -> bool:
    version, _, signature = candidate.partition(",")
    # compare_digest: how long a comparison takes must not tell an attacker how much matched.
    return version == "v1" and hmac.compare_digest(signature.encode(), expected)
