"""Wiring of the company registry and staff accounts: the agents a worker runs, and the
replicas, command clients and use cases an API process holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from analytics.audit_search import ClickHouseAuditSearch
from analytics.clickhouse import ClickHouse, ColumnReads
from analytics.dashboards.reads import ClickHousePanels
from analytics.reports.aggregates import ClickHouseAggregates
from analytics.reports.request_log import ClickHouseRequestLog
from analytics.reports.statements import ClickHouseStatements
from analytics.reports.transactions import ClickHouseTransactions
from api.staff.account_service import OwnAccount
from api.staff.audit_service import AuditViewer
from api.staff.auth_service import StaffAuthService
from api.staff.catalog_service import CatalogAdmin
from api.staff.company_service import CompanyAdmin
from api.staff.report_service import ReportService
from api.staff.risk_dashboard_service import RiskDashboard
from api.staff.services import StaffServices
from api.staff.tokens import SessionTokens
from api.staff.user_service import StaffAdmin
from domain.audit import AuditTrail
from domain.passwords import PasswordHasher
from domain.staff import LockoutPolicy
from quadra.settings import Environment, Settings
from streams.directories import CompanyDirectory, StaffDirectory
from streams.feeds import KeyDirectory
from streams.healing_producer import RecordWriter
from streams.product_directory import KafkaProductStore, ProductDirectory
from streams.registry_agent import register_registry
from streams.registry_client import KafkaRegistry, KeyUseReporter
from streams.replies import CommandBus
from streams.staff_agent import register_staff
from streams.staff_client import KafkaStaffAccounts
from streams.topics import (
    CATALOG_PRODUCTS,
    COMMAND_REPLIES,
    COMPANIES,
    COMPANY_COMMANDS,
    STAFF_COMMANDS,
    STAFF_USERS,
    TopicNames,
)
from streams.worker import WorkerKit

Stops = list[tuple[str, Callable[[], Any]]]


def lockout_policy(settings: Settings) -> LockoutPolicy:
    return LockoutPolicy(
        settings.staff_max_failed_logins, timedelta(minutes=settings.staff_lockout_minutes)
    )


def registry_agents(settings: Settings) -> list[Callable[[WorkerKit], None]]:
    """For the worker's registration list."""
    return [register_registry, partial(register_staff, lockout=lockout_policy(settings))]


@dataclass(frozen=True, slots=True)
class RegistryApi:
    """What ApiServices needs from the registry and staff side."""

    companies: CompanyDirectory
    key_uses: KeyUseReporter
    staff: StaffServices
    registry: KafkaRegistry  # also used to seed the demo company
    bus: CommandBus  # one per process: every command client shares it


async def start_registry_api(
    settings: Settings,
    names: TopicNames,
    bootstrap: str,
    producer: RecordWriter,
    keys: KeyDirectory,
    audit: AuditTrail,
    stops: Stops,
    passwords: PasswordHasher | None = None,
    *,
    products: ProductDirectory,
) -> RegistryApi:
    """Starts the replicas (caught up before returning) and the command bus; registers stops.
    `products` is the process's product directory, already caught up; `producer` must be
    idempotent (staff product edits are written with it)."""
    users = StaffDirectory(bootstrap, names(STAFF_USERS))
    companies = CompanyDirectory(bootstrap, names(COMPANIES), settings.kafka_partitions)
    bus = CommandBus(producer, bootstrap, names(COMMAND_REPLIES), settings.kafka_partitions)
    key_uses = KeyUseReporter(producer, names(COMPANY_COMMANDS))
    for name, part in (("staff directory", users), ("company directory", companies),
                       ("command bus", bus), ("key use reporter", key_uses)):  # fmt: skip
        await part.start()
        stops.append((name, part.stop))

    timeout = settings.staff_command_timeout_s
    registry = KafkaRegistry(bus, names(COMPANY_COMMANDS), companies, keys, timeout)
    accounts = KafkaStaffAccounts(bus, names(STAFF_COMMANDS), users, timeout)
    passwords = passwords or PasswordHasher()
    tokens = SessionTokens(
        settings.session_secret.get_secret_value().encode(),
        timedelta(minutes=settings.staff_session_ttl_minutes),
    )
    secure_cookies = settings.environment is Environment.LIVE
    staff = StaffServices(
        auth=StaffAuthService(users, accounts, passwords, tokens, audit, secure_cookies),
        companies=CompanyAdmin(companies, keys, registry, audit),
        users=StaffAdmin(users, accounts, passwords, audit),
        account=OwnAccount(accounts, passwords, tokens, audit),
        catalog=CatalogAdmin(
            products, KafkaProductStore(producer, names(CATALOG_PRODUCTS), products), companies,
            registry, audit,
        ),
    )
    return RegistryApi(companies, key_uses, staff, registry, bus)


def with_reports(staff: StaffServices, clickhouse: ClickHouse, lanes: ColumnReads | None = None) -> StaffServices:
    """The staff services plus the ClickHouse-backed reports, audit-log viewer and risk dashboard;
    the dashboard's panels and the transactions report read through `lanes` (e.g. ReadLanes)
    when given, so the reads of one render or report run at once."""
    return replace(
        staff,
        reports=ReportService(
            ClickHouseTransactions(lanes or clickhouse), ClickHouseAggregates(clickhouse),
            ClickHouseStatements(clickhouse), ClickHouseRequestLog(clickhouse),
        ),
        audit_log=AuditViewer(ClickHouseAuditSearch(clickhouse)),
        risk_dashboard=RiskDashboard(ClickHousePanels(lanes or clickhouse)),
    )  # fmt: skip
