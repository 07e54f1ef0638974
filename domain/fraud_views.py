"""Fraud review as analysts and partners read it: stored decisions, the review queue, cases
aggregated from their events, rule hit counts and partners' fraud reports; and the case
events staff append (assignments, notes).

Pure: the queries, keyset positions and views the read ports speak; nothing here reads.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from domain.cards import contains_card_number
from domain.errors import Conflict, InvalidCommand
from domain.fraud import CaseEvent, CaseEventKind

ORDER_ID = re.compile(r"^ord_[0-9a-f]{32}$")
# Order cases are "case_ord_…"; detectors name pattern cases: a bounded, plain alphabet.
CASE_ID = re.compile(r"^case_[A-Za-z0-9_:.\-]{1,160}$")
STAFF_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_NOTE = 2_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are fine in a note


@dataclass(frozen=True, slots=True)
class DecisionView:
    """An order's stored decision (the `decisions` table)."""

    order_id: str
    company_id: str
    at: datetime
    outcome: str
    score: float | None  # None: decided without a model
    points: int
    fired_rules: tuple[str, ...]
    shadow_rules: tuple[str, ...]
    reasons: tuple[str, ...]
    model: str
    top_features: tuple[str, ...]
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderRef:
    """What a review command needs to find an order's intake entry."""

    order_id: str
    company_id: str
    idempotency_key: str
    status: str


# --- the review queue ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueQuery:
    company_id: str | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class QueueKey:
    """Keyset position in the queue (oldest first): the last row's (created_at, order_id)."""

    created_at: datetime
    order_id: str


@dataclass(frozen=True, slots=True)
class QueuedOrder:
    order_id: str
    company_id: str
    created_at: datetime
    amount_value: int  # minor units
    currency: str
    product_id: str
    end_user_id: str
    external_id: str
    status_reason: str

    @property
    def key(self) -> QueueKey:
        return QueueKey(self.created_at, self.order_id)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    order: QueuedOrder
    decision: DecisionView | None  # None until the sink stored it
    assignee: str  # "" when nobody is assigned


# --- cases --------------------------------------------------------------------------------


class CaseStatus(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class CaseQuery:
    status: CaseStatus | None = None
    company_id: str | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class CaseKey:
    """Keyset position in the case list (newest opened first)."""

    opened_at: datetime
    case_id: str


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case's state, aggregated from its events: opened → open; the latest `assigned`
    names the assignee; a `resolved` event resolves it."""

    case_id: str
    company_id: str  # "" for a pattern across companies
    order_id: str  # "" for a pattern case
    subject: str
    summary: str  # the opening event's text
    status: CaseStatus
    assignee: str
    resolution: str  # the latest `resolved` event's text
    opened_at: datetime
    updated_at: datetime
    events: int

    @property
    def key(self) -> CaseKey:
        return CaseKey(self.opened_at, self.case_id)


class CaseResolved(Conflict):
    slug = "case-resolved"
    title = "The case is resolved"


def check_note(text: str, pointer: str = "/text", required: bool = True) -> str:
    """A note as stored: trimmed, at most 2000 characters (at least one when `required`),
    printable, never a card number (notes travel the log and the tables)."""
    text = text.strip()
    if required and not text:
        raise InvalidCommand("the note is empty", pointer)
    if len(text) > MAX_NOTE:
        raise InvalidCommand(f"a note holds at most {MAX_NOTE} characters", pointer)
    if _CONTROL.search(text):
        raise InvalidCommand("the note holds control characters", pointer)
    if contains_card_number(text):
        raise InvalidCommand("the note looks like it holds a card number; never paste one", pointer)
    return text


def assignment(case: CaseView, analyst_id: str, actor_id: str, token: str, at: datetime) -> CaseEvent:
    """`token` makes the event id: the same request (or Idempotency-Key) appends it once."""
    if case.status is CaseStatus.RESOLVED:
        raise CaseResolved(f"case {case.case_id} is resolved: it takes notes, not assignments")
    return CaseEvent(f"{case.case_id}:assigned:{token}", case.case_id, CaseEventKind.ASSIGNED, at, actor_id,
                     case.company_id, case.order_id, case.subject, analyst_id)  # fmt: skip


def annotation(case: CaseView, text: str, actor_id: str, token: str, at: datetime) -> CaseEvent:
    return CaseEvent(f"{case.case_id}:note:{token}", case.case_id, CaseEventKind.NOTE, at, actor_id,
                     case.company_id, case.order_id, case.subject, check_note(text))  # fmt: skip


# --- rule hits and partners' reports ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleHits:
    rule: str  # "rule_id@version" as the decision recorded it
    fired: int  # enforced hits
    shadow: int  # hits in shadow mode (counted, never enforced)

    @property
    def rule_id(self) -> str:
        return self.rule.rpartition("@")[0] or self.rule

    @property
    def version(self) -> str:
        head, at, tail = self.rule.rpartition("@")
        return tail if at and head else ""


@dataclass(frozen=True, slots=True)
class RuleStats:
    decisions: int  # decisions in the range: the denominator of a hit rate
    rules: tuple[RuleHits, ...]


@dataclass(frozen=True, slots=True)
class ReportKey:
    """Keyset position in a company's fraud reports (newest first)."""

    reported_at: datetime
    report_id: str
