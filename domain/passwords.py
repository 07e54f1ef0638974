"""Staff passwords: argon2id hashes only, and the minimum rules a new password must meet."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidCommand

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing cost grows with length: cap what a caller can make us hash


def check_new_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidCommand(
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters"
        )
    if password.strip() != password or len(set(password)) < 4:
        raise InvalidCommand("password must not start or end with spaces or repeat one character")
    return password


class PasswordHasher:
    """argon2id. Defaults are argon2-cffi's (RFC 9106 low-memory profile); tests pass cheap ones."""

    def __init__(
        self, time_cost: int | None = None, memory_kib: int | None = None, parallelism: int | None = None
    ) -> None:
        defaults = argon2.PasswordHasher()
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_kib or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
        )
        # Verified when the email is unknown, so a miss costs as long as a wrong password.
        self._decoy = self._hasher.hash("decoy password, never anyone's")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            matches = self._hasher.verify(password_hash or self._decoy, password)
            return matches and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
