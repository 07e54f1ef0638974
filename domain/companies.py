"""Companies and their API keys. Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass


class KeyMode(str, enum.Enum):
    TEST = "test"  # sandbox: providers simulated, no money moves
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_hash: str
    key_prefix: str  # first characters, shown to people to tell keys apart
    company_id: str
    company_name: str
    mode: KeyMode
    revoked: bool = False


def hash_api_key(key: str) -> str:
    # Keys carry 190+ bits of randomness, so a plain fast hash is enough (no password stretching).
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key(mode: KeyMode) -> str:
    return f"qk_{mode.value}_{secrets.token_urlsafe(32)}"


def api_key_record(key: str, company_id: str, company_name: str) -> ApiKey:
    mode = KeyMode.LIVE if key.startswith("qk_live_") else KeyMode.TEST
    return ApiKey(hash_api_key(key), key[:12], company_id, company_name, mode)
