"""Wire formats of the fraud topics: order facts and labels (`fraud.facts`), decisions
(`fraud.decisions`), analysts' review commands (`fraud.reviews`) and fraud reports (on
`partner.events`, as `fraud.suspected`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from detectors.features import OrderFacts
from domain.fraud import Assessment, CaseEvent, CaseEventKind, FraudReport, ReviewAction, ReviewCommand
from domain.orders import Order, RecipientKind
from streams.messages import decoded, dumps, loads

FRAUD_SUSPECTED = "fraud.suspected"


# --- fraud.facts: what the feature state was fed, replayed to rebuild it -------------------


@dataclass(frozen=True, slots=True)
class LabelFact:
    company_id: str
    order_id: str
    order_at: int  # the order's feature time (epoch seconds)
    label: int


def encode_order_facts(f: OrderFacts) -> bytes:
    return dumps({
        "t": "order", "at": f.at, "c": f.company_id, "u": f.end_user, "r": f.recipient,
        "k": f.recipient_kind.value, "a": f.amount, "d": f.device, "i": f.ip, "o": f.order_id,
    })  # fmt: skip


def encode_label(label: LabelFact) -> bytes:
    return dumps({"t": "label", "c": label.company_id, "o": label.order_id, "at": label.order_at,
                  "l": label.label})  # fmt: skip


def decode_fact(raw: bytes | None) -> OrderFacts | LabelFact:
    d = loads(raw)
    if d.get("t") == "label":
        return decoded("label fact", lambda: LabelFact(str(d["c"]), str(d["o"]), int(d["at"]), int(d["l"])))
    return decoded("order facts", lambda: OrderFacts(
        at=int(d["at"]), company_id=str(d["c"]), end_user=str(d["u"]), recipient=str(d["r"]),
        recipient_kind=RecipientKind(d["k"]), amount=int(d["a"]), device=d.get("d"), ip=d.get("i"),
        order_id=d.get("o"),
    ))  # fmt: skip


# --- fraud.decisions: one per new order, for the decisions table -------------------------


def encode_decision(order: Order, a: Assessment) -> bytes:
    return dumps({
        "order_id": order.id, "company_id": order.company_id, "at": order.created_at.isoformat(),
        "outcome": a.status.value, "score": a.score, "points": a.points,
        "fired_rules": list(a.fired_rules), "shadow_rules": list(a.shadow_rules),
        "reasons": list(a.reasons), "model": a.model_version, "top_features": list(a.top_features),
        "features": a.features,
    })  # fmt: skip


def decode_decision(raw: bytes | None) -> dict[str, Any]:
    d = loads(raw)
    return decoded("decision", lambda: {
        "order_id": str(d["order_id"]), "company_id": str(d["company_id"]),
        "at": datetime.fromisoformat(d["at"]), "outcome": str(d["outcome"]),
        "score": float(d["score"]) if d.get("score") is not None else -1.0,
        "points": int(d.get("points", 0)), "fired_rules": [str(x) for x in d["fired_rules"]],
        "shadow_rules": [str(x) for x in d["shadow_rules"]], "reasons": [str(x) for x in d["reasons"]],
        "model": str(d.get("model", "")), "top_features": [str(x) for x in d.get("top_features", [])],
        "features": {str(k): float(v) for k, v in dict(d.get("features") or {}).items()},
    })  # fmt: skip


# --- fraud.reviews: analysts' commands, in the company's partition ------------------------


def encode_review(c: ReviewCommand) -> bytes:
    return dumps({
        "command_id": c.command_id, "action": c.action.value, "company_id": c.company_id,
        "order_id": c.order_id, "idempotency_key": c.idempotency_key, "analyst": c.analyst,
        "note": c.note, "block": c.block, "at": c.at.isoformat(),
    })  # fmt: skip


def decode_review(raw: bytes | None) -> ReviewCommand:
    d = loads(raw)
    return decoded("review command", lambda: ReviewCommand(
        command_id=str(d["command_id"]), action=ReviewAction(d["action"]), company_id=str(d["company_id"]),
        order_id=str(d["order_id"]), idempotency_key=str(d["idempotency_key"]), analyst=str(d["analyst"]),
        note=str(d.get("note") or ""), block=bool(d.get("block")), at=datetime.fromisoformat(d["at"]),
    ))  # fmt: skip


# --- fraud.suspected on partner.events -----------------------------------------------------


def encode_fraud_report(r: FraudReport) -> bytes:
    return dumps({
        "type": FRAUD_SUSPECTED, "report_id": r.report_id, "company_id": r.company_id,
        "order_id": r.order_id, "external_id": r.external_id, "end_user_id": r.end_user_id,
        "reason": r.reason, "blocked": r.blocked, "at": r.reported_at.isoformat(),
    })  # fmt: skip


def decode_fraud_report(d: dict[str, Any]) -> FraudReport:
    return decoded("fraud report", lambda: FraudReport(
        report_id=str(d["report_id"]), company_id=str(d["company_id"]), order_id=str(d["order_id"]),
        external_id=d.get("external_id"), end_user_id=str(d["end_user_id"]), reason=str(d["reason"]),
        blocked=bool(d["blocked"]), reported_at=datetime.fromisoformat(d["at"]),
    ))  # fmt: skip


# --- fraud.cases: case events, appended by intake, staff and detectors ---------------------


def encode_case_event(e: CaseEvent) -> bytes:
    return dumps({
        "event_id": e.event_id, "case_id": e.case_id, "kind": e.kind.value, "at": e.at.isoformat(),
        "actor": e.actor, "company_id": e.company_id, "order_id": e.order_id, "subject": e.subject,
        "text": e.text,
    })  # fmt: skip


def decode_case_event(raw: bytes | None) -> CaseEvent:
    d = loads(raw)
    return decoded("case event", lambda: CaseEvent(
        event_id=str(d["event_id"]), case_id=str(d["case_id"]), kind=CaseEventKind(d["kind"]),
        at=datetime.fromisoformat(d["at"]), actor=str(d["actor"]), company_id=str(d.get("company_id", "")),
        order_id=str(d.get("order_id", "")), subject=str(d.get("subject", "")), text=str(d.get("text", "")),
    ))  # fmt: skip
