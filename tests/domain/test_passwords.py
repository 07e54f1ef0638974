from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.passwords import PasswordHasher, check_new_password

HASHER = PasswordHasher(time_cost=1, memory_kib=8, parallelism=1)


def test_hashes_are_argon2id_and_verify_only_the_right_password() -> None:
    hashed = HASHER.hash("a good long password")
    assert hashed.startswith("$argon2id$") and "a good long password" not in hashed
    assert HASHER.verify(hashed, "a good long password")
    assert not HASHER.verify(hashed, "a good long passworD")
    assert not HASHER.verify(None, "decoy password, never anyone's")  # no account: never true
    assert not HASHER.verify("not a hash", "x")


@pytest.mark.parametrize("password", ["short", "a" * 20, " padded password ", "p" * 1025])
def test_weak_or_odd_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidCommand):
        check_new_password(password)
