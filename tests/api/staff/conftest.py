"""The whole API app (partner and staff routes) over in-memory fakes of every port."""

from __future__ import annotations

from api.balance_service import BalanceService
from tests.api.ledger_fakes import InMemoryLedger

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.app import create_app
from api.catalog_service import PartnerCatalog
from api.deps import ApiServices
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from api.staff.report_service import ReportService
from api.staff.tokens import SessionTokens
from domain.cards import CardVault
from domain.companies import CompanyProfile
from domain.catalog import CompanyProduct
from domain.registry import CreateCompany, SetCompanyCatalog
from quadra.catalog_seed import SANDBOX_CATALOG
from domain.staff import Role, StaffUser
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

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def token(self, user: StaffUser) -> str:
        return SessionTokens(SECRET, timedelta(hours=1)).issue(user, datetime.now(UTC)).token

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(self.users[role])}"}

    async def login(self, email: str, password: str) -> httpx.Response:
        return await self.client.post("/staff/v1/login", json={"email": email, "password": password})


def build_client(
    staff: InMemoryStaff,
    registry: InMemoryRegistry,
    audit: RecordingAuditTrail,
    key_uses: RecordingKeyUses,
    secure_cookies: bool = False,
    log: RecordingLog | None = None,
    ledger: InMemoryLedger | None = None,
    products: InMemoryProducts | None = None,
    reports: ReportService | None = None,
) -> httpx.AsyncClient:
    vault = CardVault({"k1": base64.b64decode(base64.b64encode(b"k" * 32))}, b"token-key")
    products = products if products is not None else InMemoryProducts.sandbox()
    catalog = PartnerCatalog(products, registry)
    orders = OrderService(
        InMemoryIntake(), InMemoryReader(), vault, reply_timeout_s=1.0, max_wait_s=10.0, catalog=catalog
    )
    staff_side = staff_services(staff, registry, audit, secure_cookies, products, reports)
    ledger = ledger or InMemoryLedger()
    balances = BalanceService(ledger, ledger, audit)
    webhooks = WebhookEndpoints(registry, registry, vault, audit)
    services = ApiServices(
        orders, registry, audit, registry, key_uses, staff_side, balances, catalog, webhooks
    )
    app = create_app(services, log or RecordingLog(), MAX_BODY)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def staff_api() -> AsyncIterator[StaffHarness]:
    """One user per role, one company (no keys yet) offered every sandbox product."""
    staff, registry = InMemoryStaff(), InMemoryRegistry()
    audit, key_uses = RecordingAuditTrail(), RecordingKeyUses()
    users = {role: staff.add(role) for role in Role}
    await registry.submit(CreateCompany("seed", COMPANY, PROFILE, datetime.now(UTC)))
    every_product = tuple(CompanyProduct(p.id) for p in SANDBOX_CATALOG.products)
    await registry.submit(SetCompanyCatalog("seed-catalog", COMPANY, every_product, datetime.now(UTC)))
    registry.commands.clear()
    log, ledger, products = RecordingLog(), InMemoryLedger(), InMemoryProducts.sandbox()
    async with build_client(
        staff, registry, audit, key_uses, log=log, ledger=ledger, products=products
    ) as client:
        yield StaffHarness(client, staff, registry, audit, key_uses, users, log, ledger, products)


from tests.api.staff.fraud_harness import fraud  # noqa: E402, F401  # the fraud desk over fakes
