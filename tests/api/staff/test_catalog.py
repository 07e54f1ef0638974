"""The product catalog and each company's catalog through the staff API, and what partners
then see and may order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, MAX_BODY, StaffHarness
from tests.builders import order_body

P = "/staff/v1/catalog/products"
C = f"/staff/v1/companies/{COMPANY}/catalog"
NEW = {"version": 0, "type": "gift_certificate", "brand": "Otto", "currency": "EUR",
       "denominations": [1000, 2500], "fee": {"fixed": 0, "basis_points": 150},
       "provider_code": "otto-var"}  # fmt: skip


def product(**changes: Any) -> dict[str, Any]:
    return {**NEW, **changes}


async def test_staff_create_list_and_edit_products_with_versions(staff_api: StaffHarness) -> None:
    h = staff_api
    created = await h.client.put(f"{P}/otto-var", json=NEW, headers=h.bearer(Role.FINANCE))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{P}/otto-var"
    body = created.json()
    assert (body["id"], body["version"], body["denominations"], body["updated_by"]) == (
        "otto-var", 1, [1000, 2500], h.users[Role.FINANCE].id)
    assert h.products.saved[-1].product.fee.basis_points == 150

    listed = (await h.client.get(P, headers=h.bearer(Role.READ_ONLY))).json()["data"]
    assert "otto-var" in [p["id"] for p in listed] and "topup-de" in [p["id"] for p in listed]
    assert (await h.client.get(f"{P}/otto-var", headers=h.bearer(Role.RISK))).json() == body

    edited = await h.client.put(f"{P}/otto-var", json=product(version=1, available=False),
                                headers=h.bearer(Role.ADMIN))  # fmt: skip
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert edited.json()["available"] is False

    stale = await h.client.put(f"{P}/otto-var", json=product(version=1, brand="Otto DE"),
                               headers=h.bearer(Role.ADMIN))  # fmt: skip
    assert stale.status_code == 409 and stale.headers["content-type"] == "application/problem+json"
    assert "version 2" in stale.json()["detail"]
    taken = await h.client.put(f"{P}/topup-de", json=product(), headers=h.bearer(Role.ADMIN))
    assert taken.status_code == 409  # creating over an existing product

    same = await h.client.put(f"{P}/otto-var", json=product(version=1, available=False),
                              headers=h.bearer(Role.ADMIN))  # fmt: skip
    assert same.status_code == 200 and same.json()["version"] == 2  # nothing to change
    assert [(e.action, e.target) for e in h.audit.events] == [
        ("product.create", "otto-var"), ("product.update", "otto-var")]
    assert h.audit.events[0].actor_id == h.users[Role.FINANCE].id


async def test_staff_set_a_company_catalog_and_partners_see_it(staff_api: StaffHarness) -> None:
    h = staff_api
    key = (await h.client.post(f"/staff/v1/companies/{COMPANY}/api-keys", json={"mode": "test"},
                               headers=h.bearer(Role.SUPPORT))).json()["key"]  # fmt: skip
    partner = {"Authorization": f"Bearer {key}"}
    choices = {"products": [
        {"product_id": "card-transfer-eur", "max_amount": 5000, "fee": {"fixed": 0, "basis_points": 50}},
        {"product_id": "zalando-50"},
    ]}  # fmt: skip

    response = await h.client.put(C, json=choices, headers=h.bearer(Role.SUPPORT))

    assert response.status_code == 200, response.text
    assert response.json()["products"] == [
        {"product_id": "card-transfer-eur", "min_amount": None, "max_amount": 5000,
         "fee": {"fixed": 0, "basis_points": 50}},
        {"product_id": "zalando-50", "min_amount": None, "max_amount": None, "fee": None},
    ]  # fmt: skip
    assert (await h.client.get(C, headers=h.bearer(Role.READ_ONLY))).json() == response.json()
    seen = (await h.client.get("/v1/catalog", headers=partner)).json()["data"]
    assert [(p["id"], p["max_amount"], p["fee"]["basis_points"]) for p in seen] == [
        ("card-transfer-eur", 5000, 50), ("zalando-50", None, 0)]
    [event] = [e for e in h.audit.events if e.action == "company.catalog"]
    assert (event.action, event.company_id, event.details) == (
        "company.catalog", COMPANY, {"products": ["card-transfer-eur", "zalando-50"]})

    too_much = order_body(amount={"value": 5001, "currency": "EUR"})
    refused = await h.client.post("/v1/orders", json=too_much, headers={**partner, "Idempotency-Key": "o1"})
    assert refused.status_code == 422 and "maximum is 50.00 EUR" in refused.json()["detail"]

    off = await h.client.put(C, json={"products": []}, headers=h.bearer(Role.ADMIN))
    assert off.status_code == 200 and off.json()["products"] == []
    assert (await h.client.get("/v1/catalog", headers=partner)).json()["data"] == []


J = "application/json"
NOBODY = "/staff/v1/companies/cmp_nobody/catalog"

# (name, method, path, body (bytes raw), content type, status, problem type)
CASES: list[tuple[str, str, str, Any, str | None, int, str]] = [
    ("product malformed", "PUT", f"{P}/p1", b'{"version": ', J, 400, "malformed-json"),
    ("product array", "PUT", f"{P}/p1", [NEW], J, 422, "validation-failed"),
    ("product empty", "PUT", f"{P}/p1", {}, J, 422, "validation-failed"),
    ("product no version", "PUT", f"{P}/p1", {k: v for k, v in NEW.items() if k != "version"}, J, 422,
     "validation-failed"),
    ("product unknown field", "PUT", f"{P}/p1", product(id="p2"), J, 422, "validation-failed"),
    ("product bad type", "PUT", f"{P}/p1", product(type="lottery"), J, 422, "validation-failed"),
    ("product bad currency", "PUT", f"{P}/p1", product(currency="XXX"), J, 422, "validation-failed"),
    ("product lowercase currency", "PUT", f"{P}/p1", product(currency="eur"), J, 422, "validation-failed"),
    ("product amount as string", "PUT", f"{P}/p1", product(min_amount="100"), J, 422, "validation-failed"),
    ("product amount as float", "PUT", f"{P}/p1", product(max_amount=10.5), J, 422, "validation-failed"),
    ("product negative denomination", "PUT", f"{P}/p1", product(denominations=[-5]), J, 422,
     "validation-failed"),
    ("product repeated denomination", "PUT", f"{P}/p1", product(denominations=[5, 5]), J, 422,
     "validation-failed"),
    ("product too many denominations", "PUT", f"{P}/p1", product(denominations=list(range(1, 60))), J,
     422, "validation-failed"),
    ("product huge amount", "PUT", f"{P}/p1", product(max_amount=10**30), J, 422, "validation-failed"),
    ("product max below min", "PUT", f"{P}/p1", product(denominations=[], min_amount=500, max_amount=100),
     J, 422, "validation-failed"),
    ("product fee over 100 %", "PUT", f"{P}/p1", product(fee={"fixed": 0, "basis_points": 10_001}), J,
     422, "validation-failed"),
    ("product negative fee", "PUT", f"{P}/p1", product(fee={"fixed": -1}), J, 422, "validation-failed"),
    ("product control chars", "PUT", f"{P}/p1", product(brand="a\u0000b"), J, 422, "validation-failed"),
    ("product long brand", "PUT", f"{P}/p1", product(brand="b" * 101), J, 422, "validation-failed"),
    ("product bad id", "PUT", f"{P}/Bad%20Id", NEW, J, 422, "validation-failed"),
    ("product long id", "PUT", f"{P}/{'x' * 65}", NEW, J, 422, "validation-failed"),
    ("product negative version", "PUT", f"{P}/p1", product(version=-1), J, 422, "validation-failed"),
    ("product stale version", "PUT", f"{P}/topup-de", product(version=7, type="mobile_topup",
                                                              denominations=[]), J, 409, "conflict"),
    ("product type change", "PUT", f"{P}/topup-de", product(version=1), J, 422, "validation-failed"),
    ("product oversized", "PUT", f"{P}/p1", product(brand="x" * MAX_BODY), J, 413, "payload-too-large"),
    ("product form", "PUT", f"{P}/p1", b"brand=x", "application/x-www-form-urlencoded", 415,
     "unsupported-media-type"),
    ("product unknown", "GET", f"{P}/nope", None, None, 404, "not-found"),
    ("product malformed id", "GET", f"{P}/'%20OR%201=1", None, None, 404, "not-found"),
    ("catalog malformed", "PUT", C, b"[", J, 400, "malformed-json"),
    ("catalog empty object", "PUT", C, {}, J, 422, "validation-failed"),
    ("catalog as list", "PUT", C, [{"product_id": "topup-de"}], J, 422, "validation-failed"),
    ("catalog unknown product", "PUT", C, {"products": [{"product_id": "topup-de"},
                                                        {"product_id": "nope"}]}, J, 422, "validation-failed"),
    ("catalog twice", "PUT", C, {"products": [{"product_id": "topup-de"}, {"product_id": "topup-de"}]},
     J, 422, "validation-failed"),
    ("catalog bad id", "PUT", C, {"products": [{"product_id": "<script>"}]}, J, 422, "validation-failed"),
    ("catalog unknown field", "PUT", C, {"products": [{"product_id": "topup-de", "price": 1}]}, J, 422,
     "validation-failed"),
    ("catalog min zero", "PUT", C, {"products": [{"product_id": "topup-de", "min_amount": 0}]}, J, 422,
     "validation-failed"),
    ("catalog max below min", "PUT", C, {"products": [{"product_id": "topup-de", "min_amount": 900,
                                                       "max_amount": 800}]}, J, 422, "validation-failed"),
    ("catalog wider than product", "PUT", C, {"products": [{"product_id": "topup-de",
                                                            "max_amount": 20_000}]}, J, 422, "validation-failed"),
    ("catalog below product", "PUT", C, {"products": [{"product_id": "topup-de", "min_amount": 1}]}, J,
     422, "validation-failed"),
    ("catalog bad fee", "PUT", C, {"products": [{"product_id": "topup-de", "fee": {"basis_points": -1}}]},
     J, 422, "validation-failed"),
    ("catalog too many", "PUT", C, {"products": [{"product_id": f"p{i}"} for i in range(501)]}, J, 422,
     "validation-failed"),
    ("catalog oversized", "PUT", C, {"products": [{"product_id": "x" * MAX_BODY}]}, J, 413,
     "payload-too-large"),
    ("catalog no content type", "PUT", C, {"products": []}, None, 415, "unsupported-media-type"),
    ("catalog unknown company", "PUT", NOBODY, {"products": []}, J, 404, "not-found"),
    ("catalog of unknown company", "GET", NOBODY, None, None, 404, "not-found"),
    ("catalog malformed company", "GET", "/staff/v1/companies/x'--/catalog", None, None, 404, "not-found"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status", "slug"), [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_bad_catalog_input_is_a_problem_and_changes_nothing(
    staff_api: StaffHarness, method: str, path: str, body: Any, content_type: str | None, status: int,
    slug: str,
) -> None:  # fmt: skip
    h = staff_api
    before = (h.registry.snapshot(), dict(h.products.revisions_by_id))
    headers = h.bearer(Role.ADMIN)
    if content_type:
        headers["Content-Type"] = content_type
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()

    response = await h.client.request(method, path, content=content, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://docs.quadra.dev/problems/{slug}" and problem["request_id"]
    if status == 422:
        assert problem["errors"], problem
    assert (h.registry.snapshot(), dict(h.products.revisions_by_id)) == before
    assert h.registry.commands == [] and h.products.saved == [] and h.audit.events == []


@pytest.mark.parametrize(("method", "path"), [("GET", P), ("GET", f"{P}/topup-de"), ("PUT", f"{P}/x"),
                                              ("GET", C), ("PUT", C)])  # fmt: skip
async def test_every_catalog_endpoint_needs_a_session(staff_api: StaffHarness, method: str, path: str) -> None:
    response = await staff_api.client.request(method, path, json={"products": []})
    assert response.status_code == 401 and response.json()["type"].endswith("/unauthorized")
    assert staff_api.registry.commands == [] and staff_api.products.saved == []
