"""Use case behind the audit-log viewer: one page of audit events, newest first. The read is a
port (ClickHouse in production, a fake in tests); a cursor this API did not hand out is a 400
problem, an upside-down range or two action filters a 422."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from analytics.audit_search import MAX_AUDIT_PAGE, AuditKey, AuditQuery, decode_key, encode_key
from domain.audit_chain import AuditRecord
from domain.errors import InvalidCommand


class AuditReads(Protocol):
    async def search(
        self, q: AuditQuery, after: AuditKey | None, limit: int
    ) -> tuple[list[AuditRecord], AuditKey | None]: ...


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditRecord]
    next_cursor: str | None


class AuditViewer:
    def __init__(self, reads: AuditReads) -> None:
        self._reads = reads

    async def search(self, q: AuditQuery, cursor: str | None, limit: int) -> AuditPage:
        if q.at_from is not None and q.at_to is not None and q.at_to <= q.at_from:
            raise InvalidCommand("`to` must be after `from`", "to")
        if q.action is not None and q.action_prefix is not None:
            raise InvalidCommand("give `action` or `action_prefix`, not both", "action_prefix")
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise InvalidCommand(f"limit must be 1-{MAX_AUDIT_PAGE}", "limit")
        after = None if cursor is None else decode_key(cursor)
        found, next_key = await self._reads.search(q, after, limit)
        return AuditPage(found, encode_key(next_key))
