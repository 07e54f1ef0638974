"""Wire schemas of the staff fraud routes: query parameters (unknown ones are a 422, so a
misspelt filter never silently widens a listing), bodies, and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from analytics.reports.common import MAX_PAGE
from api.schemas import AmountOut, OrderOut
from domain.companies import COMPANY_ID
from domain.fraud import CaseEvent, ReviewAction
from domain.fraud_views import (
    MAX_NOTE, STAFF_ID, CaseQuery, CaseStatus, CaseView, DecisionView, QueueQuery, ReviewItem, RuleStats,
)  # fmt: skip

CompanyId = Annotated[str, StringConstraints(strict=True, pattern=COMPANY_ID.pattern)]
StaffId = Annotated[str, StringConstraints(strict=True, pattern=STAFF_ID.pattern)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Note = Annotated[str, StringConstraints(strict=True, max_length=MAX_NOTE)]
MAX_STATS_DAYS = 366

# --- query parameters -------------------------------------------------------------------


class QueueParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: CompanyId | None = None
    assignee: StaffId | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    def to_query(self) -> QueueQuery:
        return QueueQuery(self.company_id, self.assignee)


class CaseParams(QueueParams):
    status: CaseStatus | None = None

    def to_case_query(self) -> CaseQuery:
        return CaseQuery(self.status, self.company_id, self.assignee)


class RuleStatsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    at_from: AwareDatetime = Field(alias="from", description="When decisions were made, from (inclusive)")
    at_to: AwareDatetime = Field(alias="to", description=f"… to (exclusive); at most {MAX_STATS_DAYS} days")
    company_id: CompanyId | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RuleStatsParams:
        if self.at_to <= self.at_from:
            raise ValueError("`to` must be after `from`")
        if (self.at_to - self.at_from).days > MAX_STATS_DAYS:
            raise ValueError(f"count at most {MAX_STATS_DAYS} days at once")
        return self


# --- bodies -------------------------------------------------------------------------------


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    analyst_id: StaffId = Field(description="The staff user (with the risk review permission) to assign")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_NOTE)]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: ReviewAction = Field(description="approve or decline an order in review; confirm_fraud on any order")
    note: Note = Field("", description="Why; the partner's fraud report quotes it")
    block: StrictBool = Field(False, description="Also block the end user and the recipient")


# --- responses ------------------------------------------------------------------------------


class DecisionSummaryOut(BaseModel):
    outcome: str
    score: float | None = Field(description="The model's risk in [0, 1]; null without a model")
    points: int
    fired_rules: list[str]
    reasons: list[str]
    top_features: list[str]

    @classmethod
    def from_view(cls, d: DecisionView) -> DecisionSummaryOut:
        return cls(outcome=d.outcome, score=d.score, points=d.points, fired_rules=list(d.fired_rules),
                   reasons=list(d.reasons), top_features=list(d.top_features))  # fmt: skip


class DecisionOut(DecisionSummaryOut):
    object: Literal["decision"] = "decision"
    order_id: str
    company_id: str
    at: datetime
    shadow_rules: list[str] = Field(description="Rules that fired in shadow mode: counted, never enforced")
    model: str
    features: dict[str, float]

    @classmethod
    def from_view(cls, d: DecisionView) -> DecisionOut:
        return cls(
            **DecisionSummaryOut.from_view(d).model_dump(), order_id=d.order_id, company_id=d.company_id, at=d.at,
            shadow_rules=list(d.shadow_rules), model=d.model, features=dict(d.features),
        )  # fmt: skip


class ReviewItemOut(BaseModel):
    order_id: str
    company_id: str
    created_at: datetime
    amount: AmountOut
    product_id: str
    end_user_id: str
    external_id: str | None
    status_reason: str
    case_id: str
    assignee: str | None
    decision: DecisionSummaryOut | None = Field(description="null until the decision is stored")

    @classmethod
    def from_item(cls, item: ReviewItem) -> ReviewItemOut:
        o = item.order
        return cls(
            order_id=o.order_id, company_id=o.company_id, created_at=o.created_at,
            amount=AmountOut(value=o.amount_value, currency=o.currency), product_id=o.product_id,
            end_user_id=o.end_user_id, external_id=o.external_id or None, status_reason=o.status_reason,
            case_id=f"case_{o.order_id}", assignee=item.assignee or None,
            decision=DecisionSummaryOut.from_view(item.decision) if item.decision else None,
        )  # fmt: skip


class ReviewQueueOut(BaseModel):
    data: list[ReviewItemOut] = Field(description="Orders in review now, oldest first")
    next_cursor: str | None


class CaseOut(BaseModel):
    case_id: str
    status: CaseStatus
    company_id: str | None = Field(description="null for a pattern across companies")
    order_id: str | None
    subject: str
    summary: str
    assignee: str | None
    resolution: str
    opened_at: datetime
    updated_at: datetime
    events: int

    @classmethod
    def from_view(cls, c: CaseView) -> CaseOut:
        return cls(
            case_id=c.case_id, status=c.status, company_id=c.company_id or None, order_id=c.order_id or None,
            subject=c.subject, summary=c.summary, assignee=c.assignee or None, resolution=c.resolution,
            opened_at=c.opened_at, updated_at=c.updated_at, events=c.events,
        )  # fmt: skip


class CaseList(BaseModel):
    data: list[CaseOut] = Field(description="Newest opened first")
    next_cursor: str | None


class CaseEventOut(BaseModel):
    event_id: str
    case_id: str
    kind: str
    at: datetime
    actor: str
    text: str

    @classmethod
    def from_event(cls, e: CaseEvent) -> CaseEventOut:
        return cls(event_id=e.event_id, case_id=e.case_id, kind=e.kind.value, at=e.at, actor=e.actor, text=e.text)


class CaseDetailOut(CaseOut):
    timeline: list[CaseEventOut]
    order: OrderOut | None
    decision: DecisionOut | None


class ReviewOut(BaseModel):
    command_id: str
    order_id: str
    status: str = Field(description="The order's status after the verdict")


class RuleHitsOut(BaseModel):
    rule: str
    rule_id: str
    version: str
    fired: int
    shadow: int


class RuleStatsOut(BaseModel):
    at_from: datetime = Field(serialization_alias="from")
    at_to: datetime = Field(serialization_alias="to")
    company_id: str | None
    decisions: int
    rules: list[RuleHitsOut]

    @classmethod
    def from_stats(cls, params: RuleStatsParams, stats: RuleStats) -> RuleStatsOut:
        return cls(
            at_from=params.at_from, at_to=params.at_to, company_id=params.company_id, decisions=stats.decisions,
            rules=[RuleHitsOut(rule=r.rule, rule_id=r.rule_id, version=r.version, fired=r.fired, shadow=r.shadow)
                   for r in stats.rules],
        )  # fmt: skip
