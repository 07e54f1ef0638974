from __future__ import annotations

from api.balance_service import BalanceService
from tests.api.ledger_fakes import InMemoryLedger

import base64
from collections.abc import AsyncIterator
from typing import Any
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.batch_service import BatchService
from api.catalog_service import PartnerCatalog
from api.deps import ApiServices
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from domain.cards import CardVault
from tests.api.fakes import (
    TEST_KEY,
    InMemoryIntake,
    InMemoryReader,
    RecordingAuditTrail,
    RecordingLog,
    StaticKeys,
)
from tests.api.batch_fakes import InMemoryBatches
from tests.api.shared_app import SharedApp
from tests.api.catalog_fakes import InMemoryProducts, partner_registry
from tests.api.staff.fakes import InMemoryRegistry, InMemoryStaff, RecordingKeyUses, staff_services

MAX_BODY = 16 * 1024
MAX_BATCH_BODY = 2 * 1024 * 1024


@dataclass
class ApiHarness:
    client: httpx.AsyncClient
    intake: InMemoryIntake
    reader: InMemoryReader
    log: RecordingLog
    vault: CardVault
    audit: RecordingAuditTrail
    registry: InMemoryRegistry  # the companies of the keys (cmp_a, cmp_b), every sandbox product on
    products: InMemoryProducts
    batches: InMemoryBatches  # the batch store and its reads, over the intake's orders
    batch_service: BatchService
    app: FastAPI | None = None  # e.g. to give it other rate limits (app.state.rate_limits)


def _create(services: ApiServices, log: Any) -> FastAPI:
    return create_app(services, log, MAX_BODY, max_batch_bytes=MAX_BATCH_BODY)


@pytest.fixture(scope="session")
def shared_partner_app() -> SharedApp:
    """tests/api/shared_app.py: why one app serves every `api` test."""
    vault = CardVault({"k1": b"k" * 32}, b"token-key")
    registry, products, intake = InMemoryRegistry(), InMemoryProducts.sandbox(), InMemoryIntake()
    catalog = PartnerCatalog(products, registry)
    orders = OrderService(intake, InMemoryReader(), vault, reply_timeout_s=1.0, max_wait_s=10.0, catalog=catalog)
    audit, ledger, batches = RecordingAuditTrail(), InMemoryLedger(), InMemoryBatches(intake)
    services = ApiServices(
        orders, StaticKeys(), audit, registry, RecordingKeyUses(), staff_services(InMemoryStaff(), registry, audit),
        BalanceService(ledger, ledger, audit), catalog, WebhookEndpoints(registry, registry, vault, audit),
        batches=BatchService(orders, intake, batches, batches, vault.keyed_hash, reply_timeout_s=1.0),
    )  # fmt: skip
    return SharedApp.build(_create, services)


@pytest.fixture
async def api(shared_partner_app: SharedApp) -> AsyncIterator[ApiHarness]:
    intake, reader, log = InMemoryIntake(), InMemoryReader(), RecordingLog()
    vault = CardVault({"k1": base64.b64decode(base64.b64encode(b"k" * 32))}, b"token-key")
    registry, products = await partner_registry(), InMemoryProducts.sandbox()
    catalog = PartnerCatalog(products, registry)
    service = OrderService(intake, reader, vault, reply_timeout_s=1.0, max_wait_s=10.0, catalog=catalog)
    audit = RecordingAuditTrail()
    staff = staff_services(InMemoryStaff(), InMemoryRegistry(), audit)
    ledger = InMemoryLedger()
    balances = BalanceService(ledger, ledger, audit)
    webhooks = WebhookEndpoints(registry, registry, vault, audit)
    batches = InMemoryBatches(intake)
    batch_service = BatchService(service, intake, batches, batches, vault.keyed_hash, reply_timeout_s=1.0, in_flight=4)
    services = ApiServices(
        service, StaticKeys(), audit, registry, RecordingKeyUses(), staff, balances, catalog, webhooks,
        batches=batch_service,
    )
    app = shared_partner_app.serve(services, log)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        headers={"Authorization": f"Bearer {TEST_KEY}"},
    ) as client:
        yield ApiHarness(client, intake, reader, log, vault, audit, registry, products, batches, batch_service, app)
