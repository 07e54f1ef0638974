"""Wire schemas of the audit-log viewer: the query parameters and one event as shown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from analytics.audit_search import MAX_AUDIT_PAGE, AuditQuery
from api.time_params import QueryTime
from domain.audit import ActorKind
from domain.audit_chain import AuditRecord

Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Value = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ActionText = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class AuditParams(BaseModel):
    """Unknown parameters are a 422, so a misspelt filter never silently widens the list."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    actor_id: Value | None = Field(None, description="Staff user id, API key prefix or component")
    actor_kind: ActorKind | None = None
    action: ActionText | None = Field(None, description="Exact, e.g. staff.login")
    action_prefix: ActionText | None = Field(None, description="Prefix, e.g. staff. or balance.")
    company_id: Value | None = None
    target: Value | None = None
    at_from: QueryTime | None = Field(None, alias="from", description="Inclusive")
    at_to: QueryTime | None = Field(None, alias="to", description="Exclusive")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=MAX_AUDIT_PAGE)

    def to_query(self) -> AuditQuery:
        return AuditQuery(
            actor_id=self.actor_id, actor_kind=self.actor_kind.value if self.actor_kind else None,
            action=self.action, action_prefix=self.action_prefix, company_id=self.company_id,
            target=self.target, at_from=self.at_from, at_to=self.at_to,
        )  # fmt: skip


class AuditEventOut(BaseModel):
    event_id: str
    at: datetime
    actor_kind: str
    actor_id: str
    company_id: str | None = Field(description="null when the action is not about one company")
    action: str
    target: str
    request_id: str
    ip: str
    details: dict[str, Any]
    chain: int = Field(description="Where the event sits in the hash-chained log")
    seq: int

    @classmethod
    def from_record(cls, r: AuditRecord) -> AuditEventOut:
        e = r.event
        return cls(
            event_id=e.event_id, at=e.at, actor_kind=e.actor_kind.value, actor_id=e.actor_id,
            company_id=e.company_id or None, action=e.action, target=e.target,
            request_id=e.request_id, ip=e.ip, details=e.details, chain=r.chain, seq=r.seq,
        )  # fmt: skip


class AuditEventList(BaseModel):
    data: list[AuditEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")
