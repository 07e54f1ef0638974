"""Audit-log search for the back office: by actor, action (exact or prefix), company, target
and time; newest first, keyset-paginated.

`audit_log` is sorted by (chain, seq) and partitioned by month of `at`, so a time range
skips whole months and the rest is a scan of the matching months; the table is small next to
the request log. FINAL folds a record the sink wrote twice into one row. Every value is a
bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.audit_repo import record_from_row
from analytics.clickhouse import ClickHouse
from analytics.reports.cursor import cursor_datetime, cursor_int, decode_cursor, encode_cursor
from analytics.rows import AUDIT_LOG_COLUMNS
from domain.audit_chain import AuditRecord
from domain.errors import InvalidCursor

MAX_AUDIT_PAGE = 200
_SELECT = ", ".join(AUDIT_LOG_COLUMNS)
_AT = "DateTime64(6, 'UTC')"  # the column's own precision: the cursor must not round


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor_id: str | None = None
    actor_kind: str | None = None  # staff, api_key or system
    action: str | None = None  # exact
    action_prefix: str | None = None  # e.g. "staff." or "balance."
    company_id: str | None = None
    target: str | None = None
    at_from: datetime | None = None  # inclusive
    at_to: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AuditKey:
    """Where a page ended: (at, chain, seq) is unique and is the listing's order."""

    at: datetime
    chain: int
    seq: int

    @classmethod
    def of(cls, record: AuditRecord) -> AuditKey:
        return cls(record.event.at, record.chain, record.seq)


def encode_key(key: AuditKey | None) -> str | None:
    return None if key is None else encode_cursor("audit", [key.at, key.chain, key.seq])


def decode_key(token: str) -> AuditKey:
    values = decode_cursor("audit", token)
    if len(values) != 3:
        raise InvalidCursor("not a cursor from this API", "cursor")
    chain, seq = cursor_int(values[1]), cursor_int(values[2])
    if chain < 0 or seq < 0:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return AuditKey(cursor_datetime(values[0]), chain, seq)


def _where(q: AuditQuery, after: AuditKey | None) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}

    def add(condition: str, name: str, value: Any) -> None:
        if value is not None:
            parts.append(condition)
            params[name] = value

    add(f"at >= {{at_from:{_AT}}}", "at_from", q.at_from)
    add(f"at < {{at_to:{_AT}}}", "at_to", q.at_to)
    add("actor_id = {actor_id:String}", "actor_id", q.actor_id)
    add("actor_kind = {actor_kind:String}", "actor_kind", q.actor_kind)
    add("action = {action:String}", "action", q.action)
    add("startsWith(action, {action_prefix:String})", "action_prefix", q.action_prefix)
    add("company_id = {company_id:String}", "company_id", q.company_id)
    add("target = {target:String}", "target", q.target)
    if after is not None:
        # The plain `at <=` lets ClickHouse skip later months; the tuple picks the exact spot.
        parts.append(
            f"at <= {{after_at:{_AT}}} AND (at, chain, seq) < "
            f"({{after_at:{_AT}}}, {{after_chain:UInt32}}, {{after_seq:UInt64}})"
        )
        params.update(after_at=after.at, after_chain=after.chain, after_seq=after.seq)
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


class ClickHouseAuditSearch:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def search(
        self, q: AuditQuery, after: AuditKey | None = None, limit: int = 50
    ) -> tuple[list[AuditRecord], AuditKey | None]:
        """Newest first; the key is set when there may be more. A row whose details no longer
        parse comes back as the stand-in `quadra audit verify` reports (see record_from_row)."""
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise ValueError(f"limit must be 1-{MAX_AUDIT_PAGE}")
        where, params = _where(q, after)
        rows = await self._ch.query(
            f"SELECT {_SELECT} FROM {self._ch.table('audit_log')} FINAL {where} "
            "ORDER BY at DESC, chain DESC, seq DESC LIMIT {limit:UInt32}",
            {**params, "limit": limit + 1},
        )
        found = [record_from_row(r) for r in rows[:limit]]
        return found, (AuditKey.of(found[-1]) if len(rows) > limit else None)
