"""Wire schemas of the staff block/allow list routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.staff.list_service import NewEntry, PutResult, entry_id
from api.staff.rule_schemas import CompanyId, Note
from detectors.lists import ListEntry, ListKind, ListVerdict
from detectors.lists.entries import MAX_VALUE


class ListEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ListKind
    value: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_VALUE)] = Field(
        description="The identifier; for card_token a token (tok_…) or a card number, which is "
        "tokenized and never stored"
    )
    verdict: ListVerdict
    company_id: CompanyId | None = Field(description="The company the entry applies to; null: every company")
    reason: Note
    expires_at: AwareDatetime | None = None

    def new_entry(self) -> NewEntry:
        return NewEntry(self.kind, self.value, self.verdict, self.company_id, self.reason, self.expires_at)


class ListEntryOut(BaseModel):
    id: str = Field(description="The entry's key, url-safe: DELETE /staff/v1/fraud/lists/{id}")
    key: str
    kind: str
    value: str
    verdict: str
    company_id: str | None
    reason: str
    added_by: str
    created_at: datetime
    expires_at: datetime | None
    active: bool

    @classmethod
    def from_entry(cls, e: ListEntry, now: datetime) -> ListEntryOut:
        return cls(
            id=entry_id(e.key), key=e.key, kind=e.kind.value, value=e.value, verdict=e.verdict.value,
            company_id=e.scope, reason=e.reason, added_by=e.added_by, created_at=e.created_at,
            expires_at=e.expires_at, active=e.active(now),
        )  # fmt: skip


class ListEntryPutOut(ListEntryOut):
    created: bool

    @classmethod
    def from_result(cls, r: PutResult, now: datetime) -> ListEntryPutOut:
        return cls(**ListEntryOut.from_entry(r.entry, now).model_dump(), created=r.created)


class ListEntries(BaseModel):
    data: list[ListEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")
