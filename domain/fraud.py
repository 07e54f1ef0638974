"""Fraud outcomes as the rest of the domain sees them: an assessment per new order, analysts'
review actions on orders, and the fraud reports partners receive.

How an assessment is made (features, rules, lists, models) lives in `detectors/`; the domain
only carries its result, so intake, reports and webhooks never depend on the detectors.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import Conflict
from domain.orders import Order, OrderStatus

# The outcomes an assessment may decide for a new order.
DECISION_STATUSES = frozenset({OrderStatus.APPROVED, OrderStatus.IN_REVIEW, OrderStatus.DECLINED})


@dataclass(frozen=True, slots=True)
class Assessment:
    """Why a new order was approved, held or declined: stored with the order's decision."""

    status: OrderStatus
    reasons: tuple[str, ...]
    score: float | None = None  # the model's risk in [0, 1]; None without a model
    points: int = 0  # summed rule points
    fired_rules: tuple[str, ...] = ()  # "rule_id@version", enforced
    shadow_rules: tuple[str, ...] = ()  # fired in shadow mode: counted, never enforced
    model_version: str = ""
    top_features: tuple[str, ...] = ()  # the features that pushed the score most
    features: dict[str, float] = field(default_factory=dict)  # every feature, for analysts

    def __post_init__(self) -> None:
        if self.status not in DECISION_STATUSES:
            raise ValueError(f"an assessment decides approved, in_review or declined, not {self.status.value}")

    @property
    def reason(self) -> str:
        """One line for the order's status history."""
        return "; ".join(self.reasons) if self.reasons else "no rule fired"


class ReviewAction(str, enum.Enum):
    APPROVE = "approve"  # an order in review goes on to payment
    DECLINE = "decline"  # an order in review is declined as fraud
    CONFIRM_FRAUD = "confirm_fraud"  # any order, found fraudulent later (e.g. a chargeback)


@dataclass(frozen=True, slots=True)
class ReviewCommand:
    """An analyst's verdict on one order, executed by the intake that owns the order's company."""

    command_id: str
    action: ReviewAction
    company_id: str
    order_id: str
    idempotency_key: str  # finds the order's intake entry
    analyst: str
    note: str
    block: bool  # also block the end user and the recipient (lists)
    at: datetime


@dataclass(frozen=True, slots=True)
class FraudReport:
    """What a partner is told when one of its orders is confirmed fraudulent."""

    report_id: str
    company_id: str
    order_id: str
    external_id: str | None
    end_user_id: str
    reason: str
    blocked: bool
    reported_at: datetime


class CaseEventKind(str, enum.Enum):
    OPENED = "opened"  # an order held for review, or a pattern a detector found
    ASSIGNED = "assigned"  # to an analyst (the latest assignment counts)
    NOTE = "note"
    RESOLVED = "resolved"  # the order approved or declined, or the pattern dismissed


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One step in a case's life. A case is the list of its events: any process appends them
    (intake opens and resolves order cases, staff assign and annotate, detectors open
    pattern cases); `event_id` makes a replayed event harmless."""

    event_id: str
    case_id: str
    kind: CaseEventKind
    at: datetime
    actor: str  # "intake", a staff user id, or a detector's name
    company_id: str = ""  # "" for a pattern across companies
    order_id: str = ""
    subject: str = ""  # what the case is about, e.g. "card_token:…" for a pattern
    text: str = ""  # the note, the outcome, or the pattern's description


def case_id_for_order(order_id: str) -> str:
    return f"case_{order_id}"


def opened_for_review(order: Order, assessment: Assessment) -> CaseEvent:
    case_id = case_id_for_order(order.id)
    return CaseEvent(f"{case_id}:opened", case_id, CaseEventKind.OPENED, order.created_at, "intake",
                     order.company_id, order.id, f"end_user:{order.end_user.id}", assessment.reason)  # fmt: skip


def resolved_by_review(order: Order, command: ReviewCommand) -> CaseEvent:
    case_id = case_id_for_order(order.id)
    return CaseEvent(f"{case_id}:resolved:{command.command_id}", case_id, CaseEventKind.RESOLVED,
                     command.at, command.analyst, order.company_id, order.id, "",
                     f"{command.action.value}: {order.status.value}")  # fmt: skip


class ReviewRefused(Conflict):
    """The order is not in a state this action applies to."""

    slug = "review-refused"
    title = "The order is not in a state this review action applies to"


def review_order(order: Order, command: ReviewCommand) -> tuple[Order, FraudReport | None]:
    """Apply an analyst's verdict: the order after it, and the partner's report if fraud."""
    note = f" ({command.note})" if command.note else ""
    if command.action is ReviewAction.APPROVE:
        if order.status is not OrderStatus.IN_REVIEW:
            raise ReviewRefused(f"order {order.id} is {order.status.value}, not in_review")
        return order.transition(OrderStatus.APPROVED, f"approved by analyst {command.analyst}{note}", command.at), None
    if command.action is ReviewAction.DECLINE or order.status is OrderStatus.IN_REVIEW:
        # Fraud confirmed while the order still waits in review declines it, too.
        if order.status is not OrderStatus.IN_REVIEW:
            raise ReviewRefused(f"order {order.id} is {order.status.value}, not in_review")
        declined = order.transition(
            OrderStatus.DECLINED, f"declined as fraud by analyst {command.analyst}{note}", command.at
        )
        return declined, _report(declined, command)
    return order, _report(order, command)


def _report(order: Order, command: ReviewCommand) -> FraudReport:
    return FraudReport(
        report_id=f"frr_{command.command_id}",
        company_id=order.company_id,
        order_id=order.id,
        external_id=order.external_id,
        end_user_id=order.end_user.id,
        reason=command.note or "confirmed fraud",
        blocked=command.block,
        reported_at=command.at,
    )
