"""Staff balance endpoints over the in-memory ledger (the real command rules), and the partner's
`GET /v1/balance`."""

from __future__ import annotations

from typing import Any

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness

BASE = f"/staff/v1/companies/{COMPANY}/balances"


def _finance(h: StaffHarness, key: str = "t-1") -> dict[str, str]:
    return {**h.bearer(Role.FINANCE), "Idempotency-Key": key}


async def test_top_up_is_idempotent_and_audited(staff_api: StaffHarness) -> None:
    h = staff_api
    first = await h.client.post(f"{BASE}/EUR/top-ups", json={"amount": 150_000, "reference": "wire 1"},
                                headers=_finance(h))  # fmt: skip
    again = await h.client.post(f"{BASE}/EUR/top-ups", json={"amount": 150_000, "reference": "wire 1"},
                                headers=_finance(h))  # fmt: skip
    assert first.status_code == again.status_code == 200
    assert first.json()["available"] == again.json()["available"] == 150_000
    listed = (await h.client.get(BASE, headers=h.bearer(Role.READ_ONLY))).json()
    assert [(b["currency"], b["available"], b["status"]) for b in listed["balances"]] == [("EUR", 150_000, "active")]
    actions = [e.action for e in h.audit.events if e.action.startswith("balance.")]
    assert actions[0] == "balance.top_up" and h.audit.events[-1].company_id == COMPANY


async def test_settings_and_adjustments(staff_api: StaffHarness) -> None:
    h = staff_api
    await h.client.post(f"{BASE}/EUR/top-ups", json={"amount": 1000}, headers=_finance(h))
    steps = [
        ("PUT", "credit-limit", {"credit_limit": 500}, lambda b: b["credit_limit"] == 500 and b["spendable"] == 1500),
        ("PUT", "low-balance-threshold", {"threshold": 200}, lambda b: b["low_balance_threshold"] == 200),
        ("PUT", "limits", {"per_order": 5000, "per_product_day": {"gift-eur": 100}},
         lambda b: b["limits"]["per_order"] == 5000 and b["limits"]["per_product_day"] == {"gift-eur": 100}),
        ("POST", "adjustments", {"amount": -1200, "reason": "wrong wire"}, lambda b: b["available"] == -200),
        ("POST", "block", {"reason": "chargeback"}, lambda b: b["status"] == "blocked"),
        ("POST", "unblock", None, lambda b: b["status"] == "active"),
        ("PUT", "low-balance-threshold", {"threshold": None}, lambda b: b["low_balance_threshold"] is None),
    ]  # fmt: skip
    for method, path, body, check in steps:
        response = await h.client.request(method, f"{BASE}/EUR/{path}", json=body, headers=_finance(h))
        assert response.status_code == 200, (path, response.text)
        assert check(response.json()), (path, response.json())


async def test_the_ledger_refusal_is_a_problem_and_changes_nothing(staff_api: StaffHarness) -> None:
    h = staff_api
    response = await h.client.post(f"{BASE}/EUR/adjustments", json={"amount": -5, "reason": "x"},
                                   headers=_finance(h))  # fmt: skip
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "credit limit" in response.json()["detail"] and h.ledger.books == {}


BAD: list[tuple[str, str, Any, dict[str, str], int, str]] = [
    ("POST", "EUR/top-ups", {"amount": -100}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 0}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 10.5}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": "100"}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 10**40}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 100, "bonus": 1}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 100}, {"Idempotency-Key": ""}, 400, "invalid-header"),
    ("POST", "XXX/top-ups", {"amount": 100}, {}, 422, "validation-failed"),
    ("POST", "eur/top-ups", {"amount": 100}, {}, 422, "validation-failed"),
    ("POST", "EUR/adjustments", {"amount": 100}, {}, 422, "validation-failed"),
    ("POST", "EUR/adjustments", {"amount": 100, "reason": "   "}, {}, 422, "validation-failed"),
    ("POST", "EUR/adjustments", {"amount": 0, "reason": "zero"}, {}, 422, "validation-failed"),
    ("POST", "EUR/block", {}, {}, 422, "validation-failed"),
    ("PUT", "EUR/credit-limit", {"credit_limit": -1}, {}, 422, "validation-failed"),
    ("PUT", "EUR/limits", {"per_day": 1.5}, {}, 422, "validation-failed"),
    ("PUT", "EUR/limits", {"per_week": 100}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", {"amount": 100, "reference": "wire\u0000 1"}, {}, 422, "validation-failed"),
    ("POST", "EUR/adjustments", {"amount": 100, "reason": "fix\u001b[31m"}, {}, 422, "validation-failed"),
    ("POST", "EUR/block", {"reason": "\u0007"}, {}, 422, "validation-failed"),
    ("PUT", "EUR/limits", {"per_product_day": {"Gift EUR": 100}}, {}, 422, "validation-failed"),
    ("PUT", "EUR/limits", {"per_product_day": {"": 100}}, {}, 422, "validation-failed"),
    ("POST", "EUR/top-ups", b"{not json", {}, 400, "malformed-json"),
    ("POST", "EUR/top-ups", {"amount": 100}, {"Content-Type": "text/plain"}, 415, "unsupported-media-type"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "slug"), BAD,
                         ids=[f"{m} {p} {b!r}"[:60] for m, p, b, *_ in BAD])  # fmt: skip
async def test_bad_balance_input_is_a_problem_and_changes_nothing(
    staff_api: StaffHarness, method: str, path: str, body: Any, headers: dict[str, str], status: int, slug: str
) -> None:
    h = staff_api
    all_headers = {**_finance(h), **headers}
    if isinstance(body, bytes):
        response = await h.client.request(method, f"{BASE}/{path}", content=body,
                                          headers={**all_headers, "Content-Type": "application/json"})  # fmt: skip
    elif "Content-Type" in headers:
        response = await h.client.request(method, f"{BASE}/{path}", content=b'{"amount": 100}', headers=all_headers)
    else:
        response = await h.client.request(method, f"{BASE}/{path}", json=body, headers=all_headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/" + slug)
    assert h.ledger.books == {} and h.ledger.received == []


@pytest.mark.parametrize("path", ["cmp_nope/balances", "cmp_nope/balances/EUR/top-ups", "x/balances"])
async def test_unknown_company_is_404(staff_api: StaffHarness, path: str) -> None:
    h = staff_api
    method = "POST" if path.endswith("top-ups") else "GET"
    response = await h.client.request(method, f"/staff/v1/companies/{path}", json={"amount": 5}, headers=_finance(h))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert h.ledger.received == []
