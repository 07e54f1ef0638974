"""Wiring of fraud review in an API process: the staff fraud desk (ClickHouse reads, review
commands over the command bus, case events on `fraud.cases`) and the partner's fraud reports."""

from __future__ import annotations

from dataclasses import replace

from analytics.clickhouse import ClickHouse
from analytics.fraud_cases_repo import ClickHouseCases
from analytics.fraud_repo import ClickHouseFraudReads
from analytics.fraud_reports_repo import ClickHouseFraudReports
from analytics.orders_repo import ClickHouseOrderReader
from api.fraud_report_service import PartnerFraudReports
from api.staff.fraud_service import FraudDesk
from api.staff.services import StaffServices
from domain.audit import AuditTrail
from quadra.settings import Settings
from streams.fraud_clients import KafkaCaseLog, KafkaReviews
from streams.healing_producer import RecordWriter
from streams.replies import CommandBus
from streams.topics import FRAUD_CASES, FRAUD_REVIEWS, TopicNames


def with_fraud_desk(
    staff: StaffServices, settings: Settings, names: TopicNames, clickhouse: ClickHouse,
    producer: RecordWriter, bus: CommandBus, audit: AuditTrail,
) -> StaffServices:  # fmt: skip
    """The staff services plus fraud review. `producer` must be idempotent (case events)."""
    reviews = KafkaReviews(bus, names(FRAUD_REVIEWS), settings.intake_reply_timeout_s)
    desk = FraudDesk(
        ClickHouseFraudReads(clickhouse), ClickHouseCases(clickhouse), ClickHouseOrderReader(clickhouse), reviews,
        KafkaCaseLog(producer, names(FRAUD_CASES)), staff.users.get, audit,
    )  # fmt: skip
    return replace(staff, fraud=desk)


def partner_fraud_reports(clickhouse: ClickHouse) -> PartnerFraudReports:
    return PartnerFraudReports(ClickHouseFraudReports(clickhouse))

