"""In-memory ports of the order timelines and the model page, over one order's story
(tests/timeline_builders.py) and hand-made decision samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from analytics.decision_samples_repo import DecisionSample, ModelUse
from analytics.order_timeline_repo import StoredOrder
from analytics.reports.request_log import LoggedRequest
from analytics.reports.transactions import Transaction
from analytics.webhook_rows import webhook_request_row
from analytics.rows import REQUEST_LOG_COLUMNS
from domain.fraud import CaseEvent
from domain.fraud_views import DecisionView
from domain.order_timeline import LedgerEntryView, StatusEventView
from domain.orders import Order
from domain.webhook_log import AttemptView, DeliveryView
from detectors.features.names import FEATURE_NAMES
from detectors.models.manifest import ModelEntry, ModelManifest
from detectors.models.model import ModelKind
from streams.messages import RequestLogRecord
from api.staff.model_service import ModelDesk
from api.staff.order_timeline_service import OrderTimelines
from tests.timeline_builders import OrderStory, order_story


def stored(order: Order) -> StoredOrder:
    r = order.recipient
    t = Transaction(
        order.id, order.company_id, order.product_id, order.product_type, order.provider or "", order.amount.value,
        order.fee, order.amount.currency, order.status.value, order.history[-1].reason, r.kind.value,
        r.card_bin or "", r.card_last4 or "", order.end_user.id, order.external_id or "", order.sandbox,
        order.created_at, order.updated_at, order.version,
    )  # fmt: skip
    return StoredOrder(t, order.idempotency_key, dict(order.metadata))


def logged(record: RequestLogRecord) -> LoggedRequest:
    return LoggedRequest(**{name: getattr(record, name) for name in REQUEST_LOG_COLUMNS})


class StoryReads:
    """Every port of OrderTimelines, answering from one story."""

    def __init__(self, story: OrderStory) -> None:
        self.story = story
        self.orders = {o.id: o for o in [story.order, *story.other_orders]}
        webhook_rows = [webhook_request_row(r) for r in story.webhook_records]
        self.requests = [logged(r) for r in story.requests] + [
            LoggedRequest(*row) for row in webhook_rows if row is not None
        ]

    # OrderTimelineReads
    async def order(self, order_id: str) -> StoredOrder | None:
        found = self.orders.get(order_id)
        return stored(found) if found else None

    async def status_events(self, order: StoredOrder) -> list[StatusEventView]:
        return [
            StatusEventView(e.event_id, e.sequence, e.order.status.value, e.order.history[-1].reason,
                            e.order.updated_at, e.order.amount.value, e.order.amount.currency)  # fmt: skip
            for e in self.story.events if e.order.id == order.order_id
        ]

    async def exchanges(self, order: StoredOrder) -> list[LoggedRequest]:
        return [r for r in self.requests
                if (r.direction == "inbound" and f"ord_{r.request_id}" == order.order_id)
                or (r.direction == "outbound" and r.correlation_id == order.order_id)]  # fmt: skip

    async def ledger_entries(self, order: StoredOrder) -> list[LedgerEntryView]:
        return [
            LedgerEntryView(e.entry_id, e.kind.value, e.amount, e.currency, e.source.value, e.target.value, e.at,
                            e.command_id, e.reason, e.actor, e.available_after, e.reserved_after)  # fmt: skip
            for e in self.story.ledger if e.order_id == order.order_id
        ]

    # DecisionReads
    async def decision_of(self, company_id: str, order_id: str, created_at: datetime) -> DecisionView | None:
        d = self.story.decision
        if (d["company_id"], d["order_id"], d["at"]) != (company_id, order_id, created_at):
            return None
        return DecisionView(
            d["order_id"], d["company_id"], d["at"], d["outcome"], None if d["score"] < 0 else d["score"], d["points"],
            tuple(d["fired_rules"]), tuple(d["shadow_rules"]), tuple(d["reasons"]), d["model"],
            tuple(d["top_features"]), d["features"],
        )  # fmt: skip

    # CaseEventReads
    async def events(self, case_id: str, since: datetime | None = None) -> list[CaseEvent]:
        return [e for e in self.story.case_events if e.case_id == case_id and (since is None or e.at >= since)]

    # WebhookLaneReads
    async def for_lane(self, company_id: str, lane: str, since: datetime, limit: int) -> list[DeliveryView]:
        latest: dict[str, Any] = {}
        for r in self.story.webhook_records:
            m = r.delivery.message
            if m.company_id == company_id and m.lane == lane:
                latest[m.id] = r
        return [
            DeliveryView(r.delivery.message, r.delivery.status, r.delivery.attempts, r.delivery.round,
                         r.delivery.enqueued_at, r.at if r.attempt else None, r.response_status, r.error,
                         r.delivery.next_attempt_at, r.url)  # fmt: skip
            for r in latest.values()
        ][:limit]

    async def attempts_of(
        self, company_id: str, message_ids: Sequence[str], since: datetime | None = None
    ) -> dict[str, list[AttemptView]]:
        found: dict[str, list[AttemptView]] = {}
        for r in self.story.webhook_records:
            m = r.delivery.message
            if m.company_id == company_id and m.id in message_ids and (since is None or m.occurred_at >= since):
                found.setdefault(m.id, []).append(
                    AttemptView(r.attempt_id, r.delivery.round, r.attempt, r.delivery.status, r.at, r.url,
                                r.response_status, r.duration_ms, r.error)  # fmt: skip
                )
        return found

    # RequestLookup
    async def get(self, request_id: str) -> LoggedRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)


MODEL_VERSION = "20261120T000000Z-abcdef12"


def manifest() -> ModelManifest:
    metrics = {"roc_auc": 0.91, "average_precision": 0.72, "card_precision_at_100": 0.31,
               "card_precision_at_100_best_possible": 0.4, "rows_sampled": 5000}  # fmt: skip
    return ModelManifest(
        MODEL_VERSION, datetime(2026, 11, 20, tzinfo=UTC), 604800,
        {"input": "tx.jsonl", "from": "2026-08-01", "to": "2026-10-31", "orders": 9000, "labelled": 8000, "frauds": 90},
        {
            ModelKind.SUPERVISED: ModelEntry(ModelKind.SUPERVISED, "HistGradientBoostingClassifier", FEATURE_NAMES,
                                             0.3, 0.8, True, metrics),
            ModelKind.ANOMALY: ModelEntry(ModelKind.ANOMALY, "IsolationForest", ("amount", "hour"), 0.6, 0.7, False,
                                          {}),
        },
    )  # fmt: skip


class FixedDirectory:
    def __init__(self, found: ModelManifest | None) -> None:
        self.found = found
        self.reads = 0

    def read(self) -> ModelManifest | None:
        self.reads += 1
        return self.found


class SyntheticSamples:
    """The reference week: scores and amounts around one level; the last day: shifted."""

    def __init__(self, version: str = MODEL_VERSION, shift: float = 2.0) -> None:
        self.version = version
        self.shift = shift
        self.calls = 0

    async def cited_features(self, at_from: datetime, at_to: datetime, limit: int) -> list[str]:
        return ["amount", "unknown_feature"][:limit]

    async def sample(self, at_from: datetime, at_to: datetime, features: Sequence[str], limit: int) -> DecisionSample:
        self.calls += 1
        recent = (at_to - at_from).days < 2
        rng = np.random.default_rng(1 if recent else 0)
        n = 500
        level = self.shift if recent else 0.0
        values = {f: (rng.normal(level if f == "amount" else 0.0, 1, n)).tolist() for f in features}
        scores = np.clip(rng.normal(0.2 + level / 10, 0.05, n), 0, 1).tolist()
        return DecisionSample(n * 10, [ModelUse(self.version, n * 10, at_to)], scores, values)


def story_timelines() -> OrderTimelines:
    reads = StoryReads(order_story())
    return OrderTimelines(reads, reads, reads, reads, reads)


def seeded_model_desk() -> ModelDesk:
    return ModelDesk(FixedDirectory(manifest()), SyntheticSamples())
