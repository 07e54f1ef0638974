"""Companies and API keys through the staff API, and what partner authentication makes of them."""

from __future__ import annotations

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.builders import order_body

NEW_COMPANY = {
    "name": "Loyal Ltd", "legal_name": "Loyal Rewards Limited", "country": "GB",
    "contact_email": "ops@loyal.test", "registration_number": "GB-123", "address": "1 High St",
    "ip_allowlist": ["203.0.113.0/24", "127.0.0.1"],
}  # fmt: skip
PROBE = "/v1/orders/ord_" + "0" * 32  # 404 once authenticated, 401/403 when refused


def _partner(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _new_key(h: StaffHarness, company_id: str, mode: str = "test") -> dict[str, str]:
    response = await h.client.post(
        f"/staff/v1/companies/{company_id}/api-keys", json={"mode": mode}, headers=h.bearer(Role.SUPPORT)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_create_read_edit_and_list_companies(staff_api: StaffHarness) -> None:
    h = staff_api
    created = await h.client.post("/staff/v1/companies", json=NEW_COMPANY, headers=h.bearer(Role.SUPPORT))
    assert created.status_code == 201, created.text
    company = created.json()
    assert company["id"].startswith("cmp_") and created.headers["location"].endswith(company["id"])
    assert company["status"] == "active"
    assert company["notification_email"] == "ops@loyal.test"  # defaults to the contact
    assert company["ip_allowlist"] == ["203.0.113.0/24", "127.0.0.1/32"]  # canonical CIDRs

    edited = await h.client.patch(
        f"/staff/v1/companies/{company['id']}",
        json={"legal_name": "Loyal Rewards Plc", "notification_email": "alerts@loyal.test"},
        headers=h.bearer(Role.ADMIN),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["legal_name"] == "Loyal Rewards Plc"
    assert edited.json()["name"] == "Loyal Ltd"  # untouched fields stay

    read = await h.client.get(f"/staff/v1/companies/{company['id']}", headers=h.bearer(Role.READ_ONLY))
    assert read.json() == edited.json()
    listed = await h.client.get("/staff/v1/companies", headers=h.bearer(Role.RISK))
    assert [c["id"] for c in listed.json()["data"]] == sorted([COMPANY, company["id"]])
    inactive = await h.client.get("/staff/v1/companies?status=inactive", headers=h.bearer(Role.RISK))
    assert inactive.json()["data"] == []

    actions = [(e.action, e.actor_id, e.company_id) for e in h.audit.events]
    assert actions == [
        ("company.create", h.users[Role.SUPPORT].id, company["id"]),
        ("company.update", h.users[Role.ADMIN].id, company["id"]),
    ]
    assert h.audit.events[1].details == {
        "changes": {"legal_name": "Loyal Rewards Plc", "notification_email": "alerts@loyal.test"}
    }


async def test_a_key_is_shown_once_works_records_its_use_and_stops_when_revoked(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    created = await _new_key(h, COMPANY, "live")
    secret, prefix = created["key"], created["prefix"]
    assert secret.startswith("qk_live_") and prefix == secret[:12]

    url = f"/staff/v1/companies/{COMPANY}/api-keys"
    listed = (await h.client.get(url, headers=h.bearer(Role.READ_ONLY))).json()
    assert [k["prefix"] for k in listed["data"]] == [prefix]
    assert secret not in str(listed)  # the secret is never shown again
    assert secret not in str(h.registry.commands) and secret not in str(h.audit.events)

    headers = {**_partner(secret), "Idempotency-Key": "k1"}
    order = await h.client.post("/v1/orders", json=order_body(), headers=headers)
    assert order.status_code == 201, order.text
    assert [prefix for prefix, _ in h.key_uses.uses] == [prefix]

    revoked = await h.client.post(
        f"/staff/v1/companies/{COMPANY}/api-keys/{prefix}/revoke", headers=h.bearer(Role.ADMIN)
    )
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    refused = await h.client.get(PROBE, headers=_partner(secret))
    assert refused.status_code == 401 and refused.json()["type"].endswith("/unauthorized")

    again = await h.client.post(
        f"/staff/v1/companies/{COMPANY}/api-keys/{prefix}/revoke", headers=h.bearer(Role.ADMIN)
    )
    assert again.status_code == 200  # revoking twice is harmless
    assert [e.action for e in h.audit.events if e.actor_kind.value == "staff"] == [
        "api_key.create", "api_key.revoke", "api_key.revoke",
    ]  # fmt: skip


async def test_keys_of_an_inactive_company_are_refused_until_reactivated(staff_api: StaffHarness) -> None:
    h = staff_api
    secret = (await _new_key(h, COMPANY))["key"]
    assert (await h.client.get(PROBE, headers=_partner(secret))).status_code == 404

    off = await h.client.post(f"/staff/v1/companies/{COMPANY}/deactivate", headers=h.bearer(Role.SUPPORT))
    assert off.status_code == 200 and off.json()["status"] == "inactive"
    refused = await h.client.get(PROBE, headers=_partner(secret))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/company-inactive")

    on = await h.client.post(f"/staff/v1/companies/{COMPANY}/reactivate", headers=h.bearer(Role.SUPPORT))
    assert on.json()["status"] == "active"
    assert (await h.client.get(PROBE, headers=_partner(secret))).status_code == 404


async def test_the_ip_allowlist_is_enforced_for_partner_calls(staff_api: StaffHarness) -> None:
    h = staff_api  # the test client calls from 127.0.0.1
    secret = (await _new_key(h, COMPANY))["key"]
    url = f"/staff/v1/companies/{COMPANY}"

    await h.client.patch(url, json={"ip_allowlist": ["10.0.0.0/8"]}, headers=h.bearer(Role.ADMIN))
    refused = await h.client.get(PROBE, headers=_partner(secret))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/ip-not-allowed")

    both = {"ip_allowlist": ["10.0.0.0/8", "127.0.0.0/30"]}
    await h.client.patch(url, json=both, headers=h.bearer(Role.ADMIN))
    assert (await h.client.get(PROBE, headers=_partner(secret))).status_code == 404
    await h.client.patch(url, json={"ip_allowlist": []}, headers=h.bearer(Role.ADMIN))  # open again
    assert (await h.client.get(PROBE, headers=_partner(secret))).status_code == 404


async def test_keys_of_another_company_cannot_be_revoked_through_this_one(staff_api: StaffHarness) -> None:
    h = staff_api
    created = await h.client.post("/staff/v1/companies", json=NEW_COMPANY, headers=h.bearer(Role.ADMIN))
    other = created.json()
    prefix = (await _new_key(h, other["id"]))["prefix"]
    response = await h.client.post(
        f"/staff/v1/companies/{COMPANY}/api-keys/{prefix}/revoke", headers=h.bearer(Role.ADMIN)
    )
    assert response.status_code == 404
    assert not any(k.revoked for k in h.registry.for_company(other["id"]))


async def test_staff_users_can_be_created_and_changed_by_admins(staff_api: StaffHarness) -> None:
    h = staff_api
    body = {"email": "Nina@Quadra.test", "name": "Nina", "role": "finance",
            "password": "a good long password"}  # fmt: skip
    created = await h.client.post("/staff/v1/users", json=body, headers=h.bearer(Role.ADMIN))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "nina@quadra.test" and "password" not in str(user)
    duplicate = await h.client.post("/staff/v1/users", json=body, headers=h.bearer(Role.ADMIN))
    assert duplicate.status_code == 409 and duplicate.headers["content-type"] == "application/problem+json"

    login = await h.login("nina@quadra.test", "a good long password")
    assert login.status_code == 200

    admin_headers = h.bearer(Role.ADMIN)
    promoted = await h.client.patch(f"/staff/v1/users/{user['id']}", json={"role": "risk"}, headers=admin_headers)
    assert promoted.json()["role"] == "risk"
    me = await h.client.get("/staff/v1/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.json()["role"] == "risk"  # roles apply to live sessions at once

    admin = h.users[Role.ADMIN]
    self_demote = await h.client.patch(
        f"/staff/v1/users/{admin.id}", json={"role": "read_only"}, headers=admin_headers
    )
    assert self_demote.status_code == 409
    listed = await h.client.get("/staff/v1/users", headers=h.bearer(Role.ADMIN))
    assert "nina@quadra.test" in [u["email"] for u in listed.json()["data"]]


async def test_unreachable_registry_is_a_503_problem(staff_api: StaffHarness) -> None:
    staff_api.registry.answering = False
    response = await staff_api.client.post(
        f"/staff/v1/companies/{COMPANY}/deactivate", headers=staff_api.bearer(Role.ADMIN)
    )
    assert response.status_code == 503 and response.json()["type"].endswith("/command-timeout")
    assert staff_api.audit.events == []  # nothing confirmed, nothing recorded
