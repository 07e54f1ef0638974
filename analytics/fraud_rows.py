"""Storage rows of the fraud topics: decisions and the partners' fraud reports."""

from __future__ import annotations

from typing import Any

import orjson

from domain.fraud import CaseEvent, FraudReport
from streams import fraud_messages as fm
from streams.messages import loads

DECISION_COLUMNS = (
    "order_id", "company_id", "at", "outcome", "score", "points", "fired_rules", "shadow_rules",
    "reasons", "model", "top_features", "features",
)  # fmt: skip

FRAUD_REPORT_COLUMNS = (
    "report_id", "company_id", "order_id", "external_id", "end_user_id", "reason", "blocked", "reported_at",
)  # fmt: skip


def decision_row(d: dict[str, Any]) -> tuple[Any, ...]:
    return (
        d["order_id"], d["company_id"], d["at"], d["outcome"], d["score"], d["points"], d["fired_rules"],
        d["shadow_rules"], d["reasons"], d["model"], d["top_features"],
        orjson.dumps(d["features"], option=orjson.OPT_SORT_KEYS).decode(),
    )  # fmt: skip


def decode_partner_fraud_report(raw: bytes | None) -> FraudReport | None:
    """`partner.events` carries other events too (balance.low): those make no report row."""
    d = loads(raw)
    return fm.decode_fraud_report(d) if d.get("type") == fm.FRAUD_SUSPECTED else None


def fraud_report_row(r: FraudReport | None) -> tuple[Any, ...] | None:
    if r is None:
        return None
    return (r.report_id, r.company_id, r.order_id, r.external_id, r.end_user_id, r.reason, int(r.blocked),
            r.reported_at)  # fmt: skip


CASE_EVENT_COLUMNS = ("event_id", "case_id", "kind", "at", "actor", "company_id", "order_id", "subject", "text")


def case_event_row(e: CaseEvent) -> tuple[Any, ...]:
    return (e.event_id, e.case_id, e.kind.value, e.at, e.actor, e.company_id, e.order_id, e.subject, e.text)
