"""Card numbers: validation, tokenization and encryption at ingress.

A card number is kept only as a keyed token (HMAC, for matching without the number), its BIN
and last four (for people and reports) and an AES-GCM ciphertext under a key id (so keys can
rotate) that only the dispatch step decrypts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# ASCII digits only, the whole string: `\d` takes other scripts' digits and `$` a final newline.
_DIGITS = re.compile(r"[0-9]{12,19}")
# A run of 12-19 digits, single spaces or dashes allowed between them, not inside a longer run.
_CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
# Opaque ids: a canonical UUID, or a hex token of 24+ characters with a letter in it (Quadra's own
# `ord_<32 hex>`, object ids, hashes), each standing alone (no letter or digit next to it).
_OPAQUE_ID = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
    r"|(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{24,})(?![0-9A-Za-z])"
)


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def with_luhn_digit(digits: str) -> str:
    """`digits` followed by the check digit that makes the whole number Luhn-valid (test
    and benchmark card numbers)."""
    for check in "0123456789":
        if luhn_valid(digits + check):
            return digits + check
    raise AssertionError("unreachable: one digit always completes a Luhn sum")


def normalize_card_number(raw: str) -> str | None:
    """Digits only (spaces and dashes allowed in input); None when it is not a card number."""
    digits = raw.replace(" ", "").replace("-", "")
    if not _DIGITS.fullmatch(digits) or not luhn_valid(digits):
        return None
    return digits


def contains_card_number(text: str) -> bool:
    """Whether free text holds something that passes for a card number (Luhn-valid 12-19 digits).

    Partners sometimes paste a card number into the wrong field (an id, metadata); such text
    must be refused at the edge, or it would travel the log and the tables in clear. Opaque ids
    are not one, whatever their digits: ~0.3 % of random UUIDs hold a Luhn-valid run of 12-19
    digits across a dash ("…-a230-6493238157b2"), and so do 0.28 % of Quadra's own order ids
    ("ord_01a21ddd693ed728d322527868325eaa": 322527868325), which partners and staff put in keys
    and references (the soak's reviewer got 400s for them). A card number glued to 8+ hex letters would pass too: this guards
    against card numbers pasted by mistake, not against a partner hiding one on purpose."""
    text = _OPAQUE_ID.sub("_", text)
    return any(
        luhn_valid(match.group(0).replace(" ", "").replace("-", ""))
        for match in _CARD_LIKE.finditer(text)
    )


def mask_card_number(number: str) -> str:
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


@dataclass(frozen=True, slots=True)
class ProtectedCard:
    token: str
    bin: str
    last4: str
    ciphertext: str  # "kid.base64(nonce||ct)"


class CardVault:
    """Tokenizes and encrypts card numbers; the first key encrypts, every key decrypts."""

    def __init__(self, keys: dict[str, bytes], token_key: bytes) -> None:
        if not keys:
            raise ValueError("CardVault needs at least one key")
        self._keys = dict(keys)
        self._current = next(iter(keys))
        self._token_key = token_key

    def token_for(self, number: str) -> str:
        digest = hmac.new(self._token_key, number.encode(), hashlib.sha256).digest()
        return "tok_" + base64.urlsafe_b64encode(digest[:18]).decode()

    def keyed_hash(self, data: bytes) -> str:
        """A hash of data that may hold a card number: keyed, so it cannot be brute-forced."""
        return hmac.new(self._token_key, data, hashlib.sha256).hexdigest()

    def protect(self, number: str) -> ProtectedCard:
        return ProtectedCard(self.token_for(number), number[:6], number[-4:], self.seal(number))

    def seal(self, secret: str) -> str:
        """Encrypt any secret (a gift code, virtual card details, a webhook signing secret)."""
        nonce = os.urandom(12)
        sealed = AESGCM(self._keys[self._current]).encrypt(nonce, secret.encode(), None)
        return f"{self._current}.{base64.b64encode(nonce + sealed).decode()}"

    def reveal(self, ciphertext: str) -> str:
        kid, _, payload = ciphertext.partition(".")
        raw = base64.b64decode(payload)
        return AESGCM(self._keys[kid]).decrypt(raw[:12], raw[12:], None).decode()
