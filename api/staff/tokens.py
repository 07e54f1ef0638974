"""Staff session tokens: `qs_<payload>.<HMAC-SHA256>`, stateless and short-lived.

The same token is the session cookie (browser) and the bearer token (JSON API clients). A
session ends when it expires or when the user's session epoch moves on (logout, deactivation):
the epoch is part of the signed payload and checked against the replica on every request.
The CSRF token is an HMAC of the session id, so it is bound to the session and needs no state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from domain.staff import StaffUser

PREFIX = "qs_"
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class SessionClaims:
    user_id: str
    epoch: int
    session_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionTokens:
    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        # Separate keys per use, so a CSRF token can never pass as a signature or vice versa.
        self._sign_key = hmac.new(secret, b"quadra staff session v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, b"quadra staff csrf v1", hashlib.sha256).digest()
        self.ttl = ttl

    def issue(self, user: StaffUser, now: datetime) -> IssuedSession:
        expires_at = (now + self.ttl).astimezone(UTC).replace(microsecond=0)
        claims = SessionClaims(user.id, user.session_epoch, secrets.token_urlsafe(16), expires_at)
        payload = _b64(orjson.dumps(
            {"u": claims.user_id, "e": claims.epoch, "s": claims.session_id,
             "x": int(expires_at.timestamp())}
        ))  # fmt: skip
        token = f"{PREFIX}{payload}.{self._sign(payload)}"
        return IssuedSession(token, self.csrf_token(claims), expires_at)

    def read(self, token: str, now: datetime) -> SessionClaims | None:
        """The claims of a well-formed, correctly signed, unexpired token; else None."""
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or not token.startswith(PREFIX):
            return None
        payload, dot, signature = token[len(PREFIX) :].partition(".")
        if not dot or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            d = orjson.loads(_unb64(payload))
            claims = SessionClaims(
                str(d["u"]), int(d["e"]), str(d["s"]), datetime.fromtimestamp(int(d["x"]), UTC)
            )
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            return None
        return claims if now < claims.expires_at else None

    def csrf_token(self, claims: SessionClaims) -> str:
        return _b64(hmac.new(self._csrf_key, claims.session_id.encode(), hashlib.sha256).digest())

    def csrf_matches(self, claims: SessionClaims, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf_token(claims).encode())

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._sign_key, payload.encode(), hashlib.sha256).digest())
