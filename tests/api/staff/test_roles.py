"""Acceptance 3: each role can do exactly what its row allows and gets 403 everywhere else.

The expected matrix is written out by hand (not derived from ROLE_PERMISSIONS), so a change
to the permission table that widens or narrows a role fails here until the row is updated.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.registry import CreateApiKey
from domain.companies import KeyMode, hash_api_key
from domain.staff import Role
from tests.api.staff.conftest import COMPANY, SEEDED_BATCH, StaffHarness
from tests.api.staff.fakes import PASSWORD
from tests.api.staff.webhook_fakes import SEEDED_MESSAGE
from api.staff.list_service import entry_id
from tests.api.staff.rule_fakes import SEEDED_ENTRY
from tests.timeline_builders import ORDER_ID as STORY_ORDER, REQUEST_ID as STORY_REQUEST

SEEDED_ENTRY_ID = entry_id(SEEDED_ENTRY.key)
RULE_BODY = {"id": "big_payout", "name": "Big payout", "expression": "amount_major >= 500", "action": "review"}
LIST_BODY = {"kind": "card_token", "value": "4111111111111111", "verdict": "block", "company_id": None, "reason": "mule"}

A, F, R, S, O = Role.ADMIN, Role.FINANCE, Role.RISK, Role.SUPPORT, Role.READ_ONLY
EVERYONE = frozenset(Role)
SEEDED_KEY = "qk_test_SEEDseedSEEDseedSEEDseedSEEDseedSEEDsee"
COMPANY_BODY = {
    "name": "New Co", "legal_name": "New Co Ltd", "country": "GB", "contact_email": "ops@new.test"
}  # fmt: skip
USER_BODY = {"email": "new@quadra.test", "name": "New Person", "role": "support",
             "password": "a long enough password"}  # fmt: skip

BALANCE = "/staff/v1/companies/{company}/balances/EUR"
PRODUCT_BODY = {"version": 1, "type": "mobile_topup", "brand": "Telekom", "currency": "EUR",
                "min_amount": 500, "max_amount": 10_000}  # fmt: skip

# (method, path, body, roles allowed); {company}, {prefix}, {other_user} are filled in.
ENDPOINTS: list[tuple[str, str, Any, frozenset[Role]]] = [
    ("GET", "/staff/v1/me", None, EVERYONE),
    ("POST", "/staff/v1/logout", None, EVERYONE),
    ("PATCH", "/staff/v1/me", {"locale": "ru"}, EVERYONE),
    ("POST", "/staff/v1/me/password", {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
     EVERYONE),
    ("GET", "/staff/v1/audit?action_prefix=balance.&limit=2", None, frozenset({A, F, R})),
    ("GET", "/staff/v1/companies", None, EVERYONE),
    ("GET", "/staff/v1/companies/{company}", None, EVERYONE),
    ("GET", "/staff/v1/companies/{company}/api-keys", None, EVERYONE),
    ("POST", "/staff/v1/companies", COMPANY_BODY, frozenset({A, S})),
    ("PATCH", "/staff/v1/companies/{company}", {"address": "1 Main St"}, frozenset({A, S})),
    ("POST", "/staff/v1/companies/{company}/deactivate", None, frozenset({A, S})),
    ("POST", "/staff/v1/companies/{company}/reactivate", None, frozenset({A, S})),
    ("POST", "/staff/v1/companies/{company}/api-keys", {"mode": "live"}, frozenset({A, S})),
    ("POST", "/staff/v1/companies/{company}/api-keys/{prefix}/revoke", None, frozenset({A, S})),
    ("GET", "/staff/v1/users", None, frozenset({A})),
    ("POST", "/staff/v1/users", USER_BODY, frozenset({A})),
    ("PATCH", "/staff/v1/users/{other_user}", {"role": "finance"}, frozenset({A})),
    ("GET", "/staff/v1/companies/{company}/balances", None, EVERYONE),
    ("POST", BALANCE + "/top-ups", {"amount": 1000, "reference": "wire 7"}, frozenset({A, F})),
    ("POST", BALANCE + "/adjustments", {"amount": 500, "reason": "goodwill"}, frozenset({A, F})),
    ("PUT", BALANCE + "/credit-limit", {"credit_limit": 1000}, frozenset({A, F})),
    ("PUT", BALANCE + "/low-balance-threshold", {"threshold": 500}, frozenset({A, F})),
    ("PUT", BALANCE + "/limits", {"per_order": 100_000, "per_product_day": {"p": 5}}, frozenset({A, F})),
    ("POST", BALANCE + "/block", {"reason": "chargeback"}, frozenset({A, F})),
    ("POST", BALANCE + "/unblock", None, frozenset({A, F})),
    ("GET", "/staff/v1/catalog/products", None, EVERYONE),
    ("GET", "/staff/v1/catalog/products/{product}", None, EVERYONE),
    ("PUT", "/staff/v1/catalog/products/{product}", PRODUCT_BODY, frozenset({A, F})),
    ("GET", "/staff/v1/webhooks/deliveries", None, EVERYONE),
    ("GET", "/staff/v1/webhooks/deliveries/{message}", None, EVERYONE),
    ("POST", "/staff/v1/webhooks/deliveries/{message}/replay", None, frozenset({A, S})),
    ("POST", "/staff/v1/webhooks/replay", {"company_id": "cmp_seeded", "from": "2026-11-26T00:00:00Z",
                                           "to": "2026-11-27T00:00:00Z"}, frozenset({A, S})),
    ("GET", "/staff/v1/companies/{company}/catalog", None, EVERYONE),
    ("PUT", "/staff/v1/companies/{company}/catalog", {"products": [{"product_id": "topup-de"}]},
     frozenset({A, S})),
    ("GET", "/staff/v1/reports/transactions", None, EVERYONE),
    ("GET", "/staff/v1/reports/aggregates?group_by=day&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
     None, EVERYONE),
    ("GET", "/staff/v1/reports/statements/{company}?currency=EUR&from=2026-11-01T00:00:00Z"
     "&to=2026-12-01T00:00:00Z", None, EVERYONE),
    ("GET", "/staff/v1/reports/request-log", None, EVERYONE),
    ("GET", "/staff/v1/reports/transactions.csv?status=completed", None, EVERYONE),
    ("GET", "/staff/v1/reports/transactions.xlsx", None, EVERYONE),
    ("POST", "/staff/v1/exports", {"format": "csv"}, EVERYONE),
    ("GET", "/staff/v1/exports/{export}", None, EVERYONE),
    ("GET", "/staff/v1/exports/{export}/download", None, EVERYONE),
    ("GET", "/staff/v1/fraud/reviews", None, EVERYONE),
    ("GET", "/staff/v1/fraud/cases", None, EVERYONE),
    ("GET", "/staff/v1/fraud/cases/{case}", None, EVERYONE),
    ("POST", "/staff/v1/fraud/cases/{case}/assign", {"analyst_id": "stf_risk2"}, frozenset({A, R})),  # the risk user
    ("POST", "/staff/v1/fraud/cases/{case}/notes", {"text": "called the partner"}, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/orders/{order}/review", {"action": "approve"}, frozenset({A, R})),
    ("GET", "/staff/v1/fraud/decisions/{order}", None, EVERYONE),
    ("GET", "/staff/v1/fraud/rule-stats?from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z", None, EVERYONE),
    ("GET", "/staff/v1/dashboards/risk?from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z", None, EVERYONE),
    ("GET", "/staff/v1/fraud/rules", None, EVERYONE),
    ("GET", "/staff/v1/fraud/rules/{rule_id}", None, EVERYONE),
    ("POST", "/staff/v1/fraud/rules/validate", {"expression": "user_count_1h > 1"}, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/rules", RULE_BODY, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/rules/{rule_id}/versions", {"base_version": 1, "mode": "shadow"}, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/rules/{rule_id}/test", {"samples": [{"user_count_1h": 6}]}, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/rules/{rule_id}/backtest", {"from": "2026-11-26T00:00:00Z",
                                                          "to": "2026-11-28T00:00:00Z"}, frozenset({A, R})),
    ("GET", "/staff/v1/fraud/rulesets", None, EVERYONE),
    ("POST", "/staff/v1/fraud/rulesets/publish", {"set": {"velocity_user_1h": None}, "base_set": 0}, frozenset({A, R})),
    ("POST", "/staff/v1/fraud/rulesets/rollback", {"to_set": 0}, frozenset({A, R})),
    ("GET", "/staff/v1/fraud/lists?kind=end_user", None, EVERYONE),
    ("POST", "/staff/v1/fraud/lists", LIST_BODY, frozenset({A, R})),
    ("GET", "/staff/v1/fraud/lists/{entry}", None, EVERYONE),
    ("DELETE", "/staff/v1/fraud/lists/{entry}", None, frozenset({A, R})),
    ("GET", "/staff/v1/orders/{story_order}", None, EVERYONE),
    ("GET", "/staff/v1/request-log/{request}", None, EVERYONE),
    ("GET", "/staff/v1/fraud/model", None, EVERYONE),
    ("GET", "/staff/v1/batches", None, EVERYONE),  # as transactions: reports.read
    ("GET", "/staff/v1/batches/{batch}", None, EVERYONE),
    ("GET", "/staff/v1/batches/{batch}/lines", None, EVERYONE),
    ("GET", "/staff/v1/batches/{batch}/results.csv", None, EVERYONE),
]  # fmt: skip
FRAUD_ORDER = "ord_" + "0" * 31 + "1"  # held for review in tests.api.staff.fraud_fakes


async def _finished_export(h: StaffHarness, role: Role) -> str:
    """An export job of this role's user, done (a job is visible to its owner alone)."""
    job = (await h.client.post("/staff/v1/exports", json={"format": "csv"}, headers=h.bearer(role))).json()
    for _ in range(200):
        status = await h.client.get(f"/staff/v1/exports/{job['id']}", headers=h.bearer(role))
        if status.json()["status"] == "done":
            return str(job["id"])
        await asyncio.sleep(0.01)
    raise AssertionError("the export did not finish")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS]
)
async def test_each_role_gets_exactly_its_row(
    staff_api: StaffHarness, role: Role, method: str, path: str, body: Any, allowed: frozenset[Role]
) -> None:
    h = staff_api
    await h.registry.submit(
        CreateApiKey("seed-key", COMPANY, hash_api_key(SEEDED_KEY), SEEDED_KEY[:12], KeyMode.TEST, h.now())
    )
    before_registry, before_staff = h.registry.snapshot(), dict(h.staff.users)
    before_books, before_products = dict(h.ledger.books), dict(h.products.revisions_by_id)
    other = h.users[Role.READ_ONLY if role is not Role.READ_ONLY else Role.RISK]
    export = await _finished_export(h, role) if "{export}" in path else ""
    url = path.format(company=COMPANY, prefix=SEEDED_KEY[:12], other_user=other.id, product="topup-de",
                      message=SEEDED_MESSAGE, export=export, case=f"case_{FRAUD_ORDER}", order=FRAUD_ORDER,
                      rule_id="velocity_user_1h", entry=SEEDED_ENTRY_ID, story_order=STORY_ORDER,
                      request=STORY_REQUEST, batch=SEEDED_BATCH)

    headers = {**h.bearer(role), "Idempotency-Key": f"roles-{role.value}"}  # top-ups need one
    response = await h.client.request(method, url, json=body, headers=headers)

    if role in allowed:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/forbidden")
        assert h.registry.snapshot() == before_registry and h.staff.users == before_staff
        assert h.ledger.books == before_books and not h.ledger.received
        assert h.products.revisions_by_id == before_products

async def test_the_matrix_covers_every_staff_route(staff_api: StaffHarness) -> None:
    spec = (await staff_api.client.get("/openapi.json")).json()
    routes = {(method.upper(), path) for path, item in spec["paths"].items()
              if path.startswith("/staff/") for method in item}  # fmt: skip
    covered = {(m, p.split("?")[0].replace("{company}", "{company_id}").replace("{other_user}", "{user_id}")
                .replace("/EUR", "/{currency}").replace("{product}", "{product_id}").replace("{message}", "{message_id}")
                .replace("{export}", "{export_id}").replace("{case}", "{case_id}").replace("{order}", "{order_id}")
                .replace("{story_order}", "{order_id}").replace("{request}", "{request_id}")
                .replace("{batch}", "{batch_id}"))
               for m, p, _, _ in ENDPOINTS}  # fmt: skip
    # Login is the one route without a session.
    assert routes - covered == {("POST", "/staff/v1/login")}
