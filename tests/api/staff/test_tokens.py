from __future__ import annotations

from datetime import timedelta

from api.staff.tokens import SessionTokens
from domain.staff import Role, StaffUser
from tests.builders import T0

USER = StaffUser("stf_1", "a@quadra.test", "A", Role.ADMIN, "$argon2id$x", T0, session_epoch=3)
TOKENS = SessionTokens(b"secret", timedelta(hours=1))


def test_a_token_carries_the_user_and_epoch_until_it_expires() -> None:
    issued = TOKENS.issue(USER, T0)
    claims = TOKENS.read(issued.token, T0 + timedelta(minutes=59))
    assert claims is not None and (claims.user_id, claims.epoch) == ("stf_1", 3)
    assert issued.expires_at == claims.expires_at
    assert TOKENS.read(issued.token, T0 + timedelta(hours=1)) is None


def test_forged_tampered_or_foreign_tokens_are_refused() -> None:
    token = TOKENS.issue(USER, T0).token
    payload, signature = token.split(".")
    other = SessionTokens(b"other secret", timedelta(hours=1)).issue(USER, T0).token
    for bad in (f"{payload}A.{signature}", f"{payload}.{signature[:-1]}", other, "qs_", "qs_ä.ö",
                token.replace("qs_", "qk_"), "qs_" + "a" * 2000 + "." + signature):  # fmt: skip
        assert TOKENS.read(bad, T0) is None, bad


def test_csrf_tokens_are_bound_to_one_session() -> None:
    first, second = TOKENS.issue(USER, T0), TOKENS.issue(USER, T0)
    claims = TOKENS.read(first.token, T0)
    assert claims is not None
    assert TOKENS.csrf_matches(claims, first.csrf_token)
    assert not TOKENS.csrf_matches(claims, second.csrf_token)
    assert not TOKENS.csrf_matches(claims, "") and not TOKENS.csrf_matches(claims, "ä")
