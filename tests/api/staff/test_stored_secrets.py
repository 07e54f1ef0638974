"""API keys, webhook signing secrets and staff passwords are kept only as a hash or sealed.

Each is made through the API the way staff and partners make it. Then everything that would be
stored or passed on (registry and staff commands and states as their Kafka codecs write them,
audit events, request-log records) is searched for the clear value, and the stored form is
checked to be the hash or the ciphertext that still does its job.
"""

from __future__ import annotations

import hashlib

from domain.cards import CardVault
from domain.staff import Role
from streams.audit_messages import encode_audit_event
from streams.messages import encode_request_log
from streams.registry_messages import encode_registration, encode_registry_command
from streams.staff_messages import encode_staff_command, encode_user
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.api.staff.fakes import FAST_PASSWORDS

VAULT = CardVault({"k1": b"k" * 32}, b"token-key")  # the harness's (tests/api/staff/conftest.py)


def _everything_kept(h: StaffHarness) -> bytes:
    parts = [encode_registry_command(c) for c in h.registry.commands]
    parts += [encode_registration(r) for r in h.registry.registrations.values()]
    parts += [encode_staff_command(c) for c in h.staff.commands]
    parts += [encode_user(u) for u in h.staff.users.values()]
    parts += [encode_audit_event(e) for e in h.audit.events]
    parts += [encode_request_log(r) for r in h.log.records]
    return b"\n".join(parts)


def _kept_nowhere(h: StaffHarness, *secrets: str) -> None:
    kept = _everything_kept(h)
    assert h.log.records and h.audit.events, "nothing was recorded: the search would prove nothing"
    for secret in secrets:
        assert secret.encode() not in kept, f"{secret[:10]}… is kept in clear"


async def _new_key(h: StaffHarness) -> str:
    created = await h.client.post(
        f"/staff/v1/companies/{COMPANY}/api-keys", json={"mode": "live"}, headers=h.bearer(Role.ADMIN)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


async def test_api_keys_are_kept_as_their_sha256_only(staff_api: StaffHarness) -> None:
    h = staff_api
    key = await _new_key(h)
    used = await h.client.get("/v1/catalog", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 200, used.text  # the stored hash is what authenticates

    stored = h.registry.for_company(COMPANY)
    assert [k.key_hash for k in stored] == [hashlib.sha256(key.encode()).hexdigest()]
    assert [k.key_prefix for k in stored] == [key[:12]]  # 12 characters to tell keys apart, no more
    _kept_nowhere(h, key, key[12:])


async def test_webhook_secrets_are_kept_sealed_only(staff_api: StaffHarness) -> None:
    h = staff_api
    partner = {"Authorization": f"Bearer {await _new_key(h)}"}
    first = await h.client.put("/v1/webhook-endpoint", json={"url": "https://hooks.acme.test/q"}, headers=partner)
    rotated = await h.client.post("/v1/webhook-endpoint/rotate-secret", headers=partner)
    assert (first.status_code, rotated.status_code) == (201, 200), (first.text, rotated.text)
    secrets = [first.json()["secret"], rotated.json()["secret"]]

    company = h.registry.get(COMPANY)
    assert company is not None and company.webhook is not None
    sealed = company.webhook.secret_ciphertext
    assert VAULT.reveal(sealed) == secrets[1]  # sealed with the vault key, opens to the current one
    _kept_nowhere(h, *secrets, *(s.removeprefix("whsec_") for s in secrets))


async def test_staff_passwords_are_kept_as_argon2id_only(staff_api: StaffHarness) -> None:
    h = staff_api
    password, new_password = "first stored-nowhere passphrase", "second stored-nowhere passphrase"
    body = {"email": "vera@quadra.test", "name": "Vera", "role": "support", "password": password}
    created = await h.client.post("/staff/v1/users", json=body, headers=h.bearer(Role.ADMIN))
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    first_hash = h.staff.users[user_id].password_hash
    assert first_hash.startswith("$argon2id$") and FAST_PASSWORDS.verify(first_hash, password)

    session = await h.login("vera@quadra.test", password)
    assert session.status_code == 200, session.text
    token = session.json()["token"]
    changed = await h.client.post(
        "/staff/v1/me/password", json={"current_password": password, "new_password": new_password},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    second_hash = h.staff.users[user_id].password_hash
    assert second_hash != first_hash and FAST_PASSWORDS.verify(second_hash, new_password)
    assert not FAST_PASSWORDS.verify(second_hash, password)
    # session tokens are signed, not stored: they are kept nowhere either
    _kept_nowhere(h, password, new_password, token, changed.json()["token"])
