"""Staff fraud list routes over fakes: add, list, remove, card numbers, permissions."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.api.staff.rule_harness import VAULT, Desk, desk_fixture  # noqa: F401  (the fixture `desk`)

CARD = "4111111111111111"


def entry(**overrides: object) -> dict[str, object]:
    return {"kind": "end_user", "value": "u_1", "verdict": "block", "company_id": COMPANY, "reason": "mule",
            **overrides}  # fmt: skip


async def test_add_list_and_remove_entries(desk: Desk) -> None:
    added = await desk.call(Role.RISK, "POST", "/lists", json=entry())
    assert added.status_code == 201, added.text
    e = added.json()
    assert (e["kind"], e["value"], e["company_id"], e["active"], e["created"]) == ("end_user", "u_1", COMPANY, True, True)
    assert e["added_by"] == desk.h.users[Role.RISK].id and added.headers["location"].endswith(e["id"])
    replaced = await desk.call(Role.RISK, "POST", "/lists", json=entry(reason="still a mule"))
    assert replaced.status_code == 200 and replaced.json()["created"] is False
    await desk.call(Role.ADMIN, "POST", "/lists", json=entry(kind="ip", value="10.0.0.7", company_id=None,
                                                            verdict="allow", expires_at="2020-01-02T00:00:00Z"))
    # An entry already expired when added is refused (expires before it is created).
    assert len(desk.lists.records) == 2

    listed = await desk.call(Role.READ_ONLY, "GET", "/lists", params={"kind": "end_user", "company_id": COMPANY})
    assert listed.status_code == 200 and [x["value"] for x in listed.json()["data"]] == ["u_1"]
    assert (await desk.call(Role.SUPPORT, "GET", "/lists", params={"scope": "global"})).json()["data"] == []
    assert (await desk.call(Role.SUPPORT, "GET", f"/lists/{e['id']}")).json()["reason"] == "still a mule"

    removed = await desk.call(Role.RISK, "DELETE", f"/lists/{e['id']}")
    assert removed.status_code == 200 and removed.json()["value"] == "u_1"
    assert desk.lists.records[-1] == (e["key"], None) and len(desk.lists.replayed()) == 0
    assert (await desk.call(Role.RISK, "DELETE", f"/lists/{e['id']}")).status_code == 404
    assert [a.action for a in desk.h.audit.events] == ["fraud.list.put", "fraud.list.put", "fraud.list.remove"]


async def test_a_card_number_becomes_its_token_and_is_never_echoed(desk: Desk) -> None:
    added = await desk.call(Role.RISK, "POST", "/lists", json=entry(kind="card_token", value=CARD, company_id=None))
    assert added.status_code == 201, added.text
    assert added.json()["value"] == VAULT.token_for(CARD) and CARD not in added.text
    assert CARD not in repr(desk.lists.records) + repr(desk.h.audit.events)
    logged = [r for r in desk.h.log.records if r.path.endswith("/fraud/lists") and r.method == "POST"]
    assert logged and "411111" in logged[0].request_body  # the request log keeps a masked form only
    assert CARD not in repr(desk.h.log.records)
    listed = await desk.call(Role.RISK, "GET", "/lists", params={"kind": "card_token"})
    assert CARD not in listed.text and listed.json()["data"][0]["value"].startswith("tok_")
    refused = await desk.call(Role.RISK, "POST", "/lists", json=entry(kind="phone", value=CARD))
    assert refused.status_code == 422 and CARD not in refused.text


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SUPPORT, Role.FINANCE])
async def test_roles_without_risk_review_cannot_change_lists(desk: Desk, role: Role) -> None:
    added = await desk.call(Role.RISK, "POST", "/lists", json=entry())
    before = desk.written()
    assert (await desk.call(role, "POST", "/lists", json=entry(value="u_2"))).status_code == 403
    assert (await desk.call(role, "DELETE", f"/lists/{added.json()['id']}")).status_code == 403
    assert desk.written() == before
    assert (await desk.call(role, "GET", "/lists")).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"kind": "passport"}, {"verdict": "maybe"}, {"company_id": "cmp_a' OR '1'='1"}, {"scope": "everyone"},
     {"scope": "global", "company_id": COMPANY}, {"limit": 0}, {"limit": 501}, {"cursor": "not-a-cursor"},
     {"include_expired": "perhaps"}],
)
async def test_bad_list_filters_are_422(desk: Desk, params: dict[str, object]) -> None:
    response = await desk.call(Role.RISK, "GET", "/lists", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        entry(kind="passport"), entry(verdict="maybe"), entry(value=""), entry(value="x" * 257), entry(value=7),
        entry(company_id="cmp_nobody"), entry(company_id="'; DROP TABLE decisions; --"),
        entry(expires_at="2020-01-01T00:00:00Z"), entry(expires_at="tomorrow"), entry(expires_at="2030-01-01T00:00:00"),
        entry(reason="x\x00y"), entry(reason="r" * 1001), entry(kind="bin", value="4111"),
        entry(kind="card_token", value="4111111111111112"), {**entry(), "extra": 1},
        {k: v for k, v in entry().items() if k != "company_id"},
    ],
)
async def test_bad_entries_are_422_and_write_nothing(desk: Desk, body: dict[str, object]) -> None:
    response = await desk.call(Role.RISK, "POST", "/lists", json=body)
    assert response.status_code == 422, response.text
    assert desk.written() == (0, 0, 0)


@pytest.mark.parametrize("entry_id", ["nope", "WyJlbmRfdXNlciIsbnVsbCwidTEiXQ", "%00", "x" * 3000])
async def test_unknown_or_malformed_entry_ids_are_404(desk: Desk, entry_id: str) -> None:
    assert (await desk.call(Role.RISK, "DELETE", f"/lists/{entry_id}")).status_code == 404
    assert (await desk.call(Role.RISK, "GET", f"/lists/{entry_id}")).status_code == 404
