"""Every authenticated partner request is an `api_key.use` audit event; others are not."""

from __future__ import annotations

from api.balance_service import BalanceService
from tests.api.ledger_fakes import InMemoryLedger

import httpx

from api.app import create_app
from api.deps import ApiServices
from api.catalog_service import PartnerCatalog
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from domain.audit import ActorKind, AuditEvent
from domain.companies import api_key_record
from tests.api.conftest import MAX_BODY, ApiHarness
from tests.api.fakes import OTHER_KEY, TEST_KEY, RecordingLog, StaticCompanies, StaticKeys
from tests.api.staff.fakes import InMemoryRegistry, InMemoryStaff, RecordingKeyUses, staff_services
from tests.builders import order_body


async def test_authenticated_requests_record_a_compact_key_use(api: ApiHarness) -> None:
    await api.client.post("/v1/orders", json=order_body(), headers={"Idempotency-Key": "k-1"})
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    await api.client.get("/v1/orders/ord_" + "0" * 32, headers=other)

    created, missing = api.log.records
    first, second = api.audit.events
    prefix = api_key_record(TEST_KEY, "cmp_a", "A").key_prefix
    assert first == AuditEvent(
        event_id=f"{created.request_id}:api_key.use",
        at=created.at,
        actor_kind=ActorKind.API_KEY,
        actor_id=prefix,
        company_id="cmp_a",
        action="api_key.use",
        target=prefix,
        request_id=created.request_id,
        ip=created.client_ip,
        details={"method": "POST", "path": "/v1/orders", "status": 201},
    )
    assert (second.company_id, second.details["status"]) == ("cmp_b", 404)
    assert second.request_id == missing.request_id
    assert TEST_KEY not in repr(api.audit.events)  # the prefix only, never the key


async def test_requests_without_a_valid_key_record_no_key_use(api: ApiHarness) -> None:
    await api.client.get("/v1/orders/x", headers={"Authorization": "Bearer qk_test_" + "Z" * 43})
    await api.client.get("/v1/orders/x", headers={"Authorization": ""})
    await api.client.get("/healthz")
    assert len(api.log.records) == 3
    assert api.audit.events == []


class FailingAuditTrail:
    async def record(self, event: AuditEvent) -> None:
        raise ConnectionError("broker gone")


async def test_a_failing_audit_write_breaks_neither_the_exchange_nor_its_log(
    api: ApiHarness,
) -> None:
    log = RecordingLog()
    catalog = PartnerCatalog(api.products, api.registry)
    orders = OrderService(
        api.intake, api.reader, api.vault, reply_timeout_s=1.0, max_wait_s=10.0, catalog=catalog
    )
    audit = FailingAuditTrail()
    staff = staff_services(InMemoryStaff(), InMemoryRegistry(), audit)
    companies, key_uses = StaticCompanies(), RecordingKeyUses()
    ledger = InMemoryLedger()
    services = ApiServices(
        orders, StaticKeys(), audit, companies, key_uses, staff, BalanceService(ledger, ledger, audit),
        catalog, WebhookEndpoints(api.registry, api.registry, api.vault, audit),
    )
    app = create_app(services, log, MAX_BODY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(
            "/v1/orders/ord_" + "0" * 32, headers={"Authorization": f"Bearer {TEST_KEY}"}
        )
    assert response.status_code == 404
    assert [r.status for r in log.records] == [404]
