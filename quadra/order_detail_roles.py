"""Wiring of the staff order detail (timeline, request viewer) and the fraud model page in
an API process: ClickHouse reads, and the model directory's manifest (never the model)."""

from __future__ import annotations

from dataclasses import replace

from analytics.clickhouse import ClickHouse, Reads
from analytics.decision_samples_repo import ClickHouseDecisionSamples
from analytics.fraud_cases_repo import ClickHouseCases
from analytics.fraud_repo import ClickHouseFraudReads
from analytics.order_timeline_repo import ClickHouseOrderTimeline
from analytics.reports.request_log import ClickHouseRequestLog
from analytics.webhooks_repo import ClickHouseWebhookLog
from api.staff.model_service import ModelDesk
from api.staff.order_timeline_service import OrderTimelines
from api.staff.services import StaffServices
from detectors.models.manifest import ModelDirectory
from quadra.settings import Settings


def with_order_pages(
    staff: StaffServices, settings: Settings, clickhouse: ClickHouse, page_reads: Reads | None = None
) -> StaffServices:
    """The staff services plus the order timelines and the model page. `page_reads`: where the
    order detail reads (e.g. ReadLanes: its half dozen independent reads at once, not queued
    behind each other and the sink's inserts on the one connection)."""
    reads = page_reads or clickhouse
    timelines = OrderTimelines(
        ClickHouseOrderTimeline(reads), ClickHouseFraudReads(reads), ClickHouseCases(reads),
        ClickHouseWebhookLog(reads), ClickHouseRequestLog(reads),
    )  # fmt: skip
    # The same directory the worker's watcher reads (QUADRA_FRAUD_MODEL_DIR); in a layout
    # where the API cannot see it, the page still shows what the decisions say.
    model = ModelDesk(ModelDirectory(settings.fraud_model_dir), ClickHouseDecisionSamples(clickhouse))
    return replace(staff, orders=timelines, model=model)
