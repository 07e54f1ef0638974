"""Wire schemas of the staff webhook routes."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.companies import COMPANY_ID
from domain.webhook_log import AttemptView, DeliveryCursor, DeliveryView

CompanyId = Annotated[str, StringConstraints(strict=True, pattern=COMPANY_ID.pattern)]


class ReplayRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    company_id: CompanyId
    occurred_from: AwareDatetime = Field(alias="from", description="When the events occurred, from (inclusive)")
    occurred_to: AwareDatetime = Field(alias="to", description="… to (exclusive); at most 31 days after `from`")

    @model_validator(mode="after")
    def _ordered(self) -> ReplayRangeIn:
        if self.occurred_to <= self.occurred_from:
            raise ValueError("`to` must be after `from`")
        if (self.occurred_to - self.occurred_from).days > 31:
            raise ValueError("replay at most 31 days at once")
        return self


class DeliveryOut(BaseModel):
    message_id: str
    company_id: str
    event_type: str
    order_id: str | None
    occurred_at: datetime
    status: str
    attempts: int
    round: str = Field(description="'' for the first delivery, the replay id for a replay")
    enqueued_at: datetime
    last_attempt_at: datetime | None
    last_response_status: int | None
    last_error: str
    next_attempt_at: datetime | None
    url: str
    payload: dict[str, Any]

    @classmethod
    def from_view(cls, v: DeliveryView) -> DeliveryOut:
        m = v.message
        return cls(
            message_id=m.id, company_id=m.company_id, event_type=m.event_type.value,
            order_id=m.lane if m.lane.startswith("ord_") else None, occurred_at=m.occurred_at,
            status=v.status.value, attempts=v.attempts, round=v.round, enqueued_at=v.enqueued_at,
            last_attempt_at=v.last_attempt_at, last_response_status=v.last_response_status or None,
            last_error=v.last_error, next_attempt_at=v.next_attempt_at, url=v.url,
            payload=orjson.loads(m.body),
        )  # fmt: skip


class DeliveryList(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class AttemptOut(BaseModel):
    attempt: int = Field(description="0: queued; 1…: HTTP attempts of this round")
    round: str
    status: str
    at: datetime
    url: str
    response_status: int | None
    duration_ms: int
    error: str

    @classmethod
    def from_view(cls, a: AttemptView) -> AttemptOut:
        return cls(
            attempt=a.attempt, round=a.round, status=a.status.value, at=a.at, url=a.url,
            response_status=a.response_status or None, duration_ms=a.duration_ms, error=a.error,
        )  # fmt: skip


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class ReplayOut(BaseModel):
    replay_id: str
    count: int = Field(description="Messages queued for another delivery")
    message_ids: list[str] = Field(description="Only for a single-message replay")


def encode_cursor(cursor: DeliveryCursor | None) -> str | None:
    if cursor is None:
        return None
    raw = orjson.dumps({"at": cursor.occurred_at.isoformat(), "id": cursor.message_id})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> DeliveryCursor:
    """Raises ValueError for anything this API did not hand out."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        at = datetime.fromisoformat(data["at"])
        if at.tzinfo is None or not isinstance(data["id"], str):
            raise ValueError("bad cursor")
        return DeliveryCursor(at, data["id"])
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError("not a cursor from this API") from exc
