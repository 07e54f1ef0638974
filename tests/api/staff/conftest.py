"""The whole API app (partner and staff routes) over in-memory fakes of every port."""

from __future__ import annotations

from api.balance_service import BalanceService
from tests.api.ledger_fakes import InMemoryLedger

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.batch_service import BatchService
from dashboards.app import install_admin
from api.catalog_service import PartnerCatalog
from api.deps import ApiServices
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from api.staff.report_service import ReportService
from api.staff.tokens import SessionTokens
from domain.batches import BatchFormat, BatchHeader
from domain.cards import CardVault
from domain.companies import CompanyProfile
from domain.catalog import CompanyProduct
from domain.registry import CreateCompany, SetCompanyCatalog
from quadra.catalog_seed import SANDBOX_CATALOG
from domain.staff import Role, StaffUser
from tests.api.batch_fakes import InMemoryBatches
from tests.api.shared_app import SharedApp
from tests.api.fakes import InMemoryIntake, InMemoryReader, RecordingAuditTrail, RecordingLog
from tests.api.staff.fakes import (
    SECRET,
    InMemoryProducts,
    InMemoryRegistry,
    InMemoryStaff,
    RecordingKeyUses,
    staff_services,
)

MAX_BODY = 16 * 1024
COMPANY = "cmp_seeded"
SEEDED_BATCH = "bat_" + "5" * 32
PROFILE = CompanyProfile("Acme Rewards", "Acme Rewards GmbH", "DE", "ops@acme.test", "ops@acme.test")


@dataclass
class StaffHarness:
    client: httpx.AsyncClient
    staff: InMemoryStaff
    registry: InMemoryRegistry
    audit: RecordingAuditTrail
    key_uses: RecordingKeyUses
    users: dict[Role, StaffUser]
    log: RecordingLog
    ledger: InMemoryLedger
    products: InMemoryProducts
    app: FastAPI | None = None  # the application itself, for serving it to a real browser

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def token(self, user: StaffUser) -> str:
        return SessionTokens(SECRET, timedelta(hours=1)).issue(user, datetime.now(UTC)).token

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(self.users[role])}"}

    async def login(self, email: str, password: str) -> httpx.Response:
        return await self.client.post("/staff/v1/login", json={"email": email, "password": password})


def build_services(
    staff: InMemoryStaff,
    registry: InMemoryRegistry,
    audit: RecordingAuditTrail,
    key_uses: RecordingKeyUses,
    secure_cookies: bool = False,
    ledger: InMemoryLedger | None = None,
    products: InMemoryProducts | None = None,
    reports: ReportService | None = None,
) -> ApiServices:
    vault = CardVault({"k1": base64.b64decode(base64.b64encode(b"k" * 32))}, b"token-key")
    products = products if products is not None else InMemoryProducts.sandbox()
    catalog = PartnerCatalog(products, registry)
    intake = InMemoryIntake()
    orders = OrderService(intake, InMemoryReader(), vault, reply_timeout_s=1.0, max_wait_s=10.0, catalog=catalog)
    batch_store = InMemoryBatches(intake)  # one batch, no orders yet (tests/dashboards/test_batches.py makes more)
    batch_store.stored[SEEDED_BATCH] = BatchHeader(
        SEEDED_BATCH, COMPANY, "seed", "hash", BatchFormat.CSV, None, True, "req", datetime.now(UTC), 2, 2, 0
    )
    batches = BatchService(orders, intake, batch_store, batch_store, vault.keyed_hash, reply_timeout_s=1.0)
    staff_side = replace(staff_services(staff, registry, audit, secure_cookies, products, reports), batches=batches)
    ledger = ledger or InMemoryLedger()
    balances = BalanceService(ledger, ledger, audit)
    webhooks = WebhookEndpoints(registry, registry, vault, audit)
    return ApiServices(
        orders, registry, audit, registry, key_uses, staff_side, balances, catalog, webhooks, batches=batches
    )


def _create(services: ApiServices, log: Any) -> FastAPI:
    app = create_app(services, log, MAX_BODY)
    install_admin(app)
    return app


def build_app(*args: Any, log: RecordingLog | None = None, **kwargs: Any) -> FastAPI:
    """A new app of its own, over `build_services(*args, **kwargs)` (staff_api serves the
    session's shared one instead)."""
    return _create(build_services(*args, **kwargs), log or RecordingLog())


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def build_client(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
    return client_of(build_app(*args, **kwargs))


@pytest.fixture(scope="session")
def shared_staff_app() -> SharedApp:
    """tests/api/shared_app.py: why one app serves every staff_api test."""
    staff, registry = InMemoryStaff(), InMemoryRegistry()
    return SharedApp.build(_create, build_services(staff, registry, RecordingAuditTrail(), RecordingKeyUses()))


@pytest.fixture
async def staff_api(shared_staff_app: SharedApp) -> AsyncIterator[StaffHarness]:
    """One user per role, one company (no keys yet) offered every sandbox product."""
    staff, registry = InMemoryStaff(), InMemoryRegistry()
    audit, key_uses = RecordingAuditTrail(), RecordingKeyUses()
    users = {role: staff.add(role) for role in Role}
    await registry.submit(CreateCompany("seed", COMPANY, PROFILE, datetime.now(UTC)))
    every_product = tuple(CompanyProduct(p.id) for p in SANDBOX_CATALOG.products)
    await registry.submit(SetCompanyCatalog("seed-catalog", COMPANY, every_product, datetime.now(UTC)))
    registry.commands.clear()
    log, ledger, products = RecordingLog(), InMemoryLedger(), InMemoryProducts.sandbox()
    services = build_services(staff, registry, audit, key_uses, ledger=ledger, products=products)
    app = shared_staff_app.serve(services, log)
    async with client_of(app) as client:
        yield StaffHarness(
            client, staff, registry, audit, key_uses, users, log, ledger, products, app
        )


from tests.api.staff.fraud_harness import fraud  # noqa: E402, F401  # the fraud desk over fakes
