"""Tenant isolation over every partner operation of the OpenAPI document.

Company A (cmp_a, TEST_KEY) owns an order, a batch, a webhook endpoint, a balance and a fraud
report. Company B (cmp_b, OTHER_KEY) then calls each operation with A's ids in the path, A's
idempotency key and bodies, and A's company id as a query parameter. B must see nothing of A
(no id, secret, URL, amount or company id in any answer), every id of A's is a 404 for B, and A's
order, batch, endpoint, secret and balance are exactly as before. A new partner operation fails
`test_every_partner_operation_has_a_probe` until a probe for it is added here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
import pytest

from api.balance_service import BalanceService
from api.fraud_report_service import PartnerFraudReports
from domain.ledger import Book
from domain.ledger_commands import BalanceCommand, CommandKind, apply_command
from domain.webhook_endpoints import open_webhook_secret
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.api.ledger_fakes import InMemoryLedger
from tests.api.test_fraud_reports import InMemoryFraudReports
from tests.builders import card_number, order_body
from tests.fraud_builders import report

B = {"Authorization": f"Bearer {OTHER_KEY}"}
SHARED_KEY = "shared-idempotency-key"  # A uses it first; B reusing it must get its own resources
A_HOOK_URL = "https://a-hooks.test/a-private-path"
A_BALANCE = 987_654_321  # a distinctive figure: it must never appear in B's answers
A_ORDER_BODY = order_body(external_id="a-ext-1", end_user={"id": "a-user-1"})
A_BATCH_BODY = {"lines": [order_body(recipient={"card_number": card_number(7)}, end_user={"id": "a-user-2"})]}


@dataclass(frozen=True)
class TenantA:
    order_id: str
    batch_id: str
    secret: str
    report_id: str

    def markers(self) -> tuple[str, ...]:
        """What no answer to B may contain. (Not A's external ids: B may send the same.)"""
        return (self.order_id, self.batch_id, self.secret, self.report_id, A_HOOK_URL, str(A_BALANCE), "cmp_a")


Responses = list[httpx.Response]
Probe = Callable[[ApiHarness, TenantA], Awaitable[Responses]]


async def _get(api: ApiHarness, path: str, **params: str) -> httpx.Response:
    return await api.client.get(path, params=params, headers=B)


async def _create_order(api: ApiHarness, a: TenantA) -> Responses:
    r = await api.client.post("/v1/orders", json=A_ORDER_BODY, headers={**B, "Idempotency-Key": SHARED_KEY})
    assert r.status_code == 201 and r.json()["id"] != a.order_id, r.text
    return [r]


async def _list_orders(api: ApiHarness, a: TenantA) -> Responses:
    plain = await _get(api, "/v1/orders")
    by_external = await _get(api, "/v1/orders", external_id="a-ext-1")
    by_end_user = await _get(api, "/v1/orders", end_user_id="a-user-1")
    assert plain.json()["data"] == by_external.json()["data"] == by_end_user.json()["data"] == []
    return [plain, by_external, by_end_user]


async def _create_batch(api: ApiHarness, a: TenantA) -> Responses:
    r = await api.client.post("/v1/batches", json=A_BATCH_BODY, headers={**B, "Idempotency-Key": SHARED_KEY})
    assert r.status_code == 202 and r.json()["id"] != a.batch_id, r.text
    return [r]


async def _list_batches(api: ApiHarness, a: TenantA) -> Responses:
    r = await _get(api, "/v1/batches")
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    return [r]


async def _balance(api: ApiHarness, a: TenantA) -> Responses:
    r = await _get(api, "/v1/balance")
    assert r.status_code == 200 and r.json()["company_id"] == "cmp_b", r.text
    return [r]


async def _catalog(api: ApiHarness, a: TenantA) -> Responses:
    r = await _get(api, "/v1/catalog")
    assert r.status_code == 200, r.text
    return [r]


async def _put_endpoint(api: ApiHarness, a: TenantA) -> Responses:
    r = await api.client.put("/v1/webhook-endpoint", json={"url": "https://b-hooks.test/h"}, headers=B)
    assert r.status_code == 201, r.text  # B had none: A's is neither shown nor replaced
    return [r]


async def _fraud_reports(api: ApiHarness, a: TenantA) -> Responses:
    r = await _get(api, "/v1/fraud-reports")
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    return [r]


def _not_found(method: str, path: Callable[[TenantA], str]) -> Probe:
    """An operation on one of A's resources: for B it does not exist."""

    async def probe(api: ApiHarness, a: TenantA) -> Responses:
        r = await api.client.request(method, path(a), headers=B)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", r.text
        return [r]

    return probe


PROBES: dict[tuple[str, str], Probe] = {
    ("POST", "/v1/orders"): _create_order,
    ("GET", "/v1/orders"): _list_orders,
    ("GET", "/v1/orders/{order_id}"): _not_found("GET", lambda a: f"/v1/orders/{a.order_id}"),
    ("POST", "/v1/batches"): _create_batch,
    ("GET", "/v1/batches"): _list_batches,
    ("GET", "/v1/batches/{batch_id}"): _not_found("GET", lambda a: f"/v1/batches/{a.batch_id}"),
    ("GET", "/v1/batches/{batch_id}/lines"): _not_found("GET", lambda a: f"/v1/batches/{a.batch_id}/lines"),
    ("GET", "/v1/batches/{batch_id}/results.csv"): _not_found(
        "GET", lambda a: f"/v1/batches/{a.batch_id}/results.csv"
    ),
    ("GET", "/v1/balance"): _balance,
    ("GET", "/v1/catalog"): _catalog,
    ("PUT", "/v1/webhook-endpoint"): _put_endpoint,
    ("GET", "/v1/webhook-endpoint"): _not_found("GET", lambda a: "/v1/webhook-endpoint"),
    ("DELETE", "/v1/webhook-endpoint"): _not_found("DELETE", lambda a: "/v1/webhook-endpoint"),
    ("POST", "/v1/webhook-endpoint/rotate-secret"): _not_found("POST", lambda a: "/v1/webhook-endpoint/rotate-secret"),
    ("GET", "/v1/fraud-reports"): _fraud_reports,
}


def partner_operations(api: ApiHarness) -> set[tuple[str, str]]:
    """Every operation the published OpenAPI document offers partners (not /staff)."""
    assert api.app is not None
    return {
        (method.upper(), path)
        for path, item in api.app.openapi()["paths"].items()
        if not path.startswith("/staff/")
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


@pytest.fixture
async def tenants(api: ApiHarness) -> TenantA:
    """A's resources, made through the API by A itself (and its balance and fraud report)."""
    assert api.app is not None
    ledger = InMemoryLedger()
    top_up = BalanceCommand("top-up-a", "cmp_a", CommandKind.TOP_UP, "EUR", "staff", datetime.now(UTC), amount=A_BALANCE)
    ledger.remember(apply_command(Book("cmp_a"), top_up).book)
    fraud = InMemoryFraudReports([report(1, "cmp_a")])
    services = api.app.state.services
    api.app.state.services = replace(
        services, balances=BalanceService(ledger, ledger, api.audit), fraud_reports=PartnerFraudReports(fraud)
    )
    key = {"Idempotency-Key": SHARED_KEY}
    order = await api.client.post("/v1/orders", json=A_ORDER_BODY, headers=key)
    api.reader.orders.update(api.intake.orders)  # "stored": what the order list reads
    batch = await api.client.post("/v1/batches", json=A_BATCH_BODY, headers=key)
    hook = await api.client.put("/v1/webhook-endpoint", json={"url": A_HOOK_URL})
    assert (order.status_code, batch.status_code, hook.status_code) == (201, 202, 201), (order.text, batch.text)
    return TenantA(order.json()["id"], batch.json()["id"], hook.json()["secret"], "frr_0001")


def test_every_partner_operation_has_a_probe(api: ApiHarness) -> None:
    published = partner_operations(api)
    assert published, "the OpenAPI document lists no partner operations"
    missing, stale = published - PROBES.keys(), PROBES.keys() - published
    assert not missing, f"add a cross-tenant probe to PROBES for {sorted(missing)}"
    assert not stale, f"PROBES names operations the API no longer has: {sorted(stale)}"


@pytest.mark.parametrize("operation", sorted(PROBES), ids=lambda op: f"{op[0]} {op[1]}")
async def test_another_company_sees_and_changes_nothing(
    api: ApiHarness, tenants: TenantA, operation: tuple[str, str]
) -> None:
    a = tenants
    answers = await PROBES[operation](api, a)
    method, path = operation
    if method == "GET" and "{" not in path:  # a company filter must be refused or ignored, never obeyed
        answers.append(await _get(api, path, company_id="cmp_a"))
        answers.append(await _get(api, path, company="cmp_a"))
    for r in answers:
        seen = (r.text + str(r.headers)).replace(r.request.url.path, "")  # B's own path, as `instance`
        leaked = [m for m in a.markers() if m in seen]
        assert not leaked, f"{method} {r.url} showed company A's {leaked}: {r.status_code} {r.text[:300]}"
    await _a_is_intact(api, a)


async def _a_is_intact(api: ApiHarness, a: TenantA) -> None:
    """A still sees its order, batch, endpoint (same URL and secret) and balance, unchanged."""
    order = await api.client.get(f"/v1/orders/{a.order_id}")
    batch = await api.client.get(f"/v1/batches/{a.batch_id}")
    hook = await api.client.get("/v1/webhook-endpoint")
    balance = await api.client.get("/v1/balance")
    assert (order.status_code, batch.status_code, hook.status_code) == (200, 200, 200)
    assert hook.json()["url"] == A_HOOK_URL
    company = api.registry.get("cmp_a")
    assert company is not None and company.webhook is not None
    assert open_webhook_secret(api.vault, company.webhook) == a.secret
    assert [(b["currency"], b["available"]) for b in balance.json()["balances"]] == [("EUR", A_BALANCE)]
    replay = await api.client.post("/v1/orders", json=A_ORDER_BODY, headers={"Idempotency-Key": SHARED_KEY})
    assert replay.status_code == 200 and replay.json()["id"] == a.order_id  # A's key still names A's order
