"""Staff batch routes: every company's batches (or one company's), one batch, its lines and
results; unknown ids and bad parameters are problems."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, SEEDED_BATCH, StaffHarness

PROBLEM = "application/problem+json"


async def test_batches_of_every_company_or_one(staff_api: StaffHarness) -> None:
    h = staff_api
    every = (await h.client.get("/staff/v1/batches", headers=h.bearer(Role.READ_ONLY))).json()
    assert [(b["id"], b["company_id"], b["sandbox"]) for b in every["data"]] == [(SEEDED_BATCH, COMPANY, True)]
    assert every["data"][0]["counts"]["pending"] == 2 and every["data"][0]["status"] == "processing"
    none = (await h.client.get("/staff/v1/batches", params={"company_id": "cmp_other"}, headers=h.bearer(Role.READ_ONLY))).json()
    assert none["data"] == [] and none["next_cursor"] is None
    one = await h.client.get(f"/staff/v1/batches/{SEEDED_BATCH}", headers=h.bearer(Role.SUPPORT))
    assert one.status_code == 200 and one.json()["company_id"] == COMPANY
    lines = (await h.client.get(f"/staff/v1/batches/{SEEDED_BATCH}/lines", headers=h.bearer(Role.RISK))).json()
    assert [(x["line"], x["status"]) for x in lines["data"]] == [(1, "pending"), (2, "pending")]
    csv = await h.client.get(f"/staff/v1/batches/{SEEDED_BATCH}/results.csv", headers=h.bearer(Role.FINANCE))
    assert csv.text.splitlines() == ["line,external_id,status,order_id,reason", "1,,pending,,", "2,,pending,,"]


@pytest.mark.parametrize(("path", "status"), [
    ("/staff/v1/batches/bat_" + "0" * 32, 404), ("/staff/v1/batches/4111111111111111", 404),
    ("/staff/v1/batches?company_id=' OR 1=1 --", 422), ("/staff/v1/batches?limit=0", 422),
    ("/staff/v1/batches?cursor=AAAA", 400), ("/staff/v1/batches?colour=red", 422),
    (f"/staff/v1/batches/{SEEDED_BATCH}/lines?status=teleported", 422),
])  # fmt: skip
async def test_bad_ids_and_parameters_are_problems(staff_api: StaffHarness, path: str, status: int) -> None:
    r = await staff_api.client.get(path, headers=staff_api.bearer(Role.ADMIN))
    assert r.status_code == status and r.headers["content-type"] == PROBLEM and "4111111111111111" not in r.text
