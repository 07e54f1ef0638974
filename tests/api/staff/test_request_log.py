"""Staff traffic is request-logged like partner traffic, without its secrets."""

from __future__ import annotations

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.api.staff.fakes import PASSWORD


async def test_passwords_session_tokens_and_new_key_secrets_never_reach_the_log(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    login = (await h.login("admin@quadra.test", PASSWORD)).json()
    created = await h.client.post(
        f"/staff/v1/companies/{COMPANY}/api-keys", json={"mode": "live"},
        headers={"X-CSRF-Token": login["csrf_token"]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    await h.client.get("/staff/v1/me", headers=h.bearer(Role.RISK))

    logged = "\n".join(
        f"{r.request_headers}\n{r.request_body}\n{r.response_body}" for r in h.log.records
    )
    assert len(h.log.records) == 3
    secrets = [PASSWORD, login["token"], login["csrf_token"], created.json()["key"],
               h.bearer(Role.RISK)["Authorization"].split()[1]]  # fmt: skip
    for secret in secrets:
        assert secret not in logged
