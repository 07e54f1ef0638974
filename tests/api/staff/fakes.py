"""Fakes of the staff API's ports. They run the real domain rules (apply_staff_command,
apply_registry_command), so the use cases see what the Kafka agents would answer."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from api.staff.account_service import OwnAccount
from api.staff.audit_service import AuditViewer
from api.staff.auth_service import StaffAuthService
from api.staff.catalog_service import CatalogAdmin
from api.staff.company_service import CompanyAdmin
from api.staff.export_jobs import ExportJobs
from api.staff.export_service import TransactionExports
from api.staff.report_service import ReportService
from api.staff.risk_dashboard_service import RiskDashboard
from tests.api.staff.dashboard_fakes import FakePanels
from api.staff.services import StaffServices
from api.staff.tokens import SessionTokens
from api.staff.user_service import StaffAdmin
from api.staff.webhook_service import WebhookAdmin
from domain.audit import AuditTrail
from domain.catalog import Product, ProductRevision
from domain.companies import ApiKey, Company
from domain.passwords import PasswordHasher
from domain.registry import RegistryCommand, Registration, RegistryResult, apply_registry_command
from domain.staff import (
    CreateStaffUser,
    LockoutPolicy,
    Role,
    StaffCommand,
    StaffUser,
    apply_staff_command,
    normalize_email,
)
from quadra.catalog_seed import SANDBOX_CATALOG
from streams.command_client import NoReply
from tests.api.staff.audit_fakes import FakeAuditReads
from tests.api.staff.export_fakes import InMemoryExportRows, export_row
from tests.api.staff.fraud_fakes import seeded_fraud_desk
from tests.api.staff.order_timeline_fakes import seeded_model_desk, story_timelines
from tests.api.staff.report_fakes import FakeReports
from tests.api.staff.rule_fakes import seeded_rule_desk
from tests.api.staff.webhook_fakes import RecordingReplays, seeded_delivery_log

# argon2 at its cheapest: the tests exercise the logic, not the cost.
FAST_PASSWORDS = PasswordHasher(time_cost=1, memory_kib=8, parallelism=1)
PASSWORD = "correct horse battery staple"
SECRET = b"test-session-secret"
LOCKOUT = LockoutPolicy(max_failed_logins=3, lock_for=timedelta(minutes=15))
T0 = datetime.fromisoformat("2026-11-26T12:00:00+00:00")
_PASSWORD_HASH = FAST_PASSWORDS.hash(PASSWORD)


@dataclass
class InMemoryStaff:
    """Directory and staff agent in one: the StaffReader and StaffAccounts ports."""

    users: dict[str, StaffUser] = field(default_factory=dict)
    commands: list[StaffCommand] = field(default_factory=list)
    policy: LockoutPolicy = LOCKOUT

    def add(self, role: Role, email: str | None = None, **changes: object) -> StaffUser:
        user_id = f"stf_{role.value}{len(self.users)}"
        user = StaffUser(
            user_id, email or f"{role.value}@quadra.test", f"{role.value} user", role,
            _PASSWORD_HASH, T0,
        )  # fmt: skip
        user = replace(user, **changes)  # type: ignore[arg-type]
        self.users[user.id] = user
        return user

    def by_id(self, user_id: str) -> StaffUser | None:
        return self.users.get(user_id)

    def by_email(self, email: str) -> StaffUser | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email == wanted), None)

    def all(self) -> list[StaffUser]:
        return sorted(self.users.values(), key=lambda u: (u.created_at, u.id))

    async def submit(self, command: StaffCommand) -> StaffUser:
        self.commands.append(command)
        owner = None
        if isinstance(command, CreateStaffUser):
            holder = self.by_email(normalize_email(command.email))
            owner = holder.id if holder else None
        user = apply_staff_command(command, self.users.get(command.user_id), owner, self.policy)
        self.users[user.id] = user
        return user


@dataclass
class InMemoryRegistry:
    """Registry agent and both replicas in one: RegistryPort, CompanyReader, CompanyKeys,
    and the partner API's KeyLookup and CompanyLookup."""

    registrations: dict[str, Registration] = field(default_factory=dict)
    commands: list[RegistryCommand] = field(default_factory=list)
    answering: bool = True  # False: the registry agent is down

    async def submit(self, command: RegistryCommand) -> RegistryResult:
        self.commands.append(command)
        if not self.answering:
            raise NoReply()
        outcome = apply_registry_command(self.registrations.get(command.company_id), command)
        self.registrations[command.company_id] = outcome.registration
        return RegistryResult(outcome.registration.company, outcome.key)

    def get(self, company_id: str) -> Company | None:
        registration = self.registrations.get(company_id)
        return registration.company if registration else None

    def all(self) -> list[Company]:
        return sorted((r.company for r in self.registrations.values()), key=lambda c: c.id)

    def for_company(self, company_id: str) -> list[ApiKey]:
        registration = self.registrations.get(company_id)
        return list(registration.keys) if registration else []

    def lookup(self, key_hash: str) -> ApiKey | None:
        for registration in self.registrations.values():
            for key in registration.keys:
                if key.key_hash == key_hash:
                    return None if key.revoked else key
        return None

    def snapshot(self) -> dict[str, Registration]:
        return dict(self.registrations)


@dataclass
class InMemoryProducts:
    """ProductDirectory and KafkaProductStore in one."""

    revisions_by_id: dict[str, ProductRevision] = field(default_factory=dict)
    saved: list[ProductRevision] = field(default_factory=list)

    @classmethod
    def sandbox(cls) -> InMemoryProducts:
        products = cls()
        for product in SANDBOX_CATALOG.products:
            products.revisions_by_id[product.id] = ProductRevision(product, 1, T0, "system:seed")
        return products

    def get(self, product_id: str) -> Product | None:
        revision = self.revisions_by_id.get(product_id)
        return revision.product if revision else None

    def all(self) -> list[Product]:
        return [r.product for r in self.revisions()]

    def revision(self, product_id: str) -> ProductRevision | None:
        return self.revisions_by_id.get(product_id)

    def revisions(self) -> list[ProductRevision]:
        return sorted(self.revisions_by_id.values(), key=lambda r: r.product.id)

    async def save(self, revision: ProductRevision) -> None:
        self.saved.append(revision)
        self.revisions_by_id[revision.product.id] = revision


@dataclass
class RecordingKeyUses:
    uses: list[tuple[str, datetime]] = field(default_factory=list)

    def touch(self, key: ApiKey, at: datetime) -> None:
        self.uses.append((key.key_prefix, at))


def staff_services(
    staff: InMemoryStaff, registry: InMemoryRegistry, audit: AuditTrail, secure_cookies: bool = False,
    products: InMemoryProducts | None = None, reports: ReportService | None = None,
    audit_log: AuditViewer | None = None,
) -> StaffServices:  # fmt: skip
    """`products`: the product directory and store in one (default: the sandbox catalog)."""
    products = products if products is not None else InMemoryProducts.sandbox()
    tokens = SessionTokens(SECRET, timedelta(hours=8))
    users = StaffAdmin(staff, staff, FAST_PASSWORDS, audit)
    return StaffServices(
        auth=StaffAuthService(staff, staff, FAST_PASSWORDS, tokens, audit, secure_cookies),
        companies=CompanyAdmin(registry, registry, registry, audit),
        users=users,
        catalog=CatalogAdmin(products, products, registry, registry, audit),
        account=OwnAccount(staff, FAST_PASSWORDS, tokens, audit),
        rule_desk=seeded_rule_desk(registry, audit),
        webhooks=WebhookAdmin(seeded_delivery_log(), RecordingReplays(), audit),
        reports=reports if reports is not None else _fake_reports(),
        exports=_fake_exports(audit),
        fraud=seeded_fraud_desk(users.get, audit),
        audit_log=audit_log if audit_log is not None else AuditViewer(FakeAuditReads()),
        orders=story_timelines(),
        model=seeded_model_desk(),
        risk_dashboard=RiskDashboard(FakePanels()),
    )


def _fake_exports(audit: AuditTrail) -> TransactionExports:
    rows = InMemoryExportRows([export_row(n) for n in range(3)])
    directory = Path(tempfile.mkdtemp(prefix="quadra-test-exports-"))
    exports = TransactionExports(rows, ExportJobs(rows, directory), audit, directory)
    # Removed with the harness (or at exit): every staff test builds one, CI left ~6,500 behind.
    weakref.finalize(exports, shutil.rmtree, directory, ignore_errors=True)
    return exports


def _fake_reports() -> ReportService:
    fake = FakeReports()
    return ReportService(fake, fake, fake, fake)
