"""Wire schemas of `GET /v1/fraud-reports`: the same `fraud_report` object the
`fraud.suspected` webhook carries as its data."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from analytics.reports.common import MAX_PAGE
from api import errors
from api.time_params import QueryTime
from domain.fraud import FraudReport
from domain.webhook_events import iso


class FraudReportParams(BaseModel):
    """`from` inclusive, `to` exclusive (when the report was made)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    created_from: QueryTime | None = Field(None, alias="from")
    created_to: QueryTime | None = Field(None, alias="to")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    def checked(self) -> FraudReportParams:
        if self.created_from and self.created_to and self.created_to <= self.created_from:
            raise errors.validation_failed([errors.FieldError("to", "out_of_range", "`to` must be after `from`")])
        return self


class EndUserRef(BaseModel):
    id: str


class FraudReportOut(BaseModel):
    object: Literal["fraud_report"] = "fraud_report"
    id: str
    order_id: str
    external_id: str | None
    end_user: EndUserRef
    reason: str
    end_user_blocked: bool
    created_at: str = Field(description="ISO 8601, UTC, milliseconds: as in the webhook",
                            json_schema_extra={"format": "date-time"})

    @classmethod
    def from_report(cls, r: FraudReport) -> FraudReportOut:
        return cls(
            id=r.report_id, order_id=r.order_id, external_id=r.external_id, end_user=EndUserRef(id=r.end_user_id),
            reason=r.reason, end_user_blocked=r.blocked, created_at=iso(r.reported_at),
        )  # fmt: skip


class FraudReportList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FraudReportOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` (same filters) for the next, older page.")
