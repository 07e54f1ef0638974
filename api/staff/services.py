"""The staff API's use cases, bundled for ApiServices."""

from __future__ import annotations

from dataclasses import dataclass

from api.batch_service import BatchService
from api.staff.account_service import OwnAccount
from api.staff.audit_service import AuditViewer
from api.staff.auth_service import StaffAuthService
from api.staff.catalog_service import CatalogAdmin
from api.staff.company_service import CompanyAdmin
from api.staff.export_service import TransactionExports
from api.staff.fraud_service import FraudDesk
from api.staff.model_service import ModelDesk
from api.staff.order_timeline_service import OrderTimelines
from api.staff.report_service import ReportService
from api.staff.risk_dashboard_service import RiskDashboard
from api.staff.rule_desk import RuleDesk
from api.staff.user_service import StaffAdmin
from api.staff.webhook_service import WebhookAdmin


@dataclass(frozen=True, slots=True)
class StaffServices:
    auth: StaffAuthService
    companies: CompanyAdmin
    users: StaffAdmin
    catalog: CatalogAdmin
    account: OwnAccount  # the signed-in user's own password and language
    rule_desk: RuleDesk | None = None  # fraud rules and lists; None: not served here
    webhooks: WebhookAdmin | None = None  # the delivery log and replays; None: not served here
    exports: TransactionExports | None = None  # transaction exports; None: not served here
    reports: ReportService | None = None  # transactions, aggregates, statements, request log
    fraud: FraudDesk | None = None  # review queue, cases, verdicts, decisions; None: not served here
    audit_log: AuditViewer | None = None  # the audit log from ClickHouse; None: not served here
    orders: OrderTimelines | None = None  # order detail with its timeline, request viewer
    model: ModelDesk | None = None  # the fraud model page; None: not served here
    risk_dashboard: RiskDashboard | None = None  # the risk dashboard's panels; None: not served here
    batches: BatchService | None = None  # mass payouts (the partner API's use cases, any company)
