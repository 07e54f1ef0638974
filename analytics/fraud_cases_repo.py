"""Fraud cases read from their events (`fraud_case_events`): each case's state is aggregated
in one place, the SQL below, for the listing and for a single case alike; plus a case's
timeline. Every value is a bound parameter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from analytics.clickhouse import Reads
from analytics.reports.common import check_limit, utc
from analytics.reports.filters import FINAL_SETTINGS
from analytics.reports.cursor import cursor_datetime, cursor_str, decode_cursor, encode_cursor
from domain.errors import InvalidCursor
from domain.fraud import CaseEvent, CaseEventKind
from domain.fraud_views import CaseKey, CaseQuery, CaseStatus, CaseView

_AT = "DateTime64(3, 'UTC')"
# A case: opened → open; the latest `assigned` names the assignee; `resolved` resolves it.
_CASE = (
    "case_id, "
    "maxIf(company_id, company_id != '') AS case_company, "
    "maxIf(order_id, order_id != '') AS case_order, "
    "argMinIf(subject, (at, event_id), subject != '') AS case_subject, "
    "argMinIf(text, (at, event_id), kind = 'opened') AS summary, "
    "countIf(kind = 'resolved') > 0 AS resolved, "
    "argMaxIf(text, (at, event_id), kind = 'assigned') AS assignee, "
    "argMaxIf(text, (at, event_id), kind = 'resolved') AS resolution, "
    "if(countIf(kind = 'opened') > 0, minIf(at, kind = 'opened'), min(at)) AS opened_at, "
    "max(at) AS updated_at, "
    "count() AS events"
)
_EVENT = "event_id, case_id, kind, at, actor, company_id, order_id, subject, text"


def encode_case_key(key: CaseKey | None) -> str | None:
    return None if key is None else encode_cursor("fraud-cases", [key.opened_at, key.case_id])


def decode_case_key(token: str) -> CaseKey:
    values = decode_cursor("fraud-cases", token)
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return CaseKey(cursor_datetime(values[0]), cursor_str(values[1]))


def _case(row: Sequence[Any]) -> CaseView:
    (case_id, company_id, order_id, subject, summary, resolved, assignee, resolution, opened_at,
     updated_at, events) = row  # fmt: skip
    return CaseView(
        case_id, company_id, order_id, subject, summary,
        CaseStatus.RESOLVED if resolved else CaseStatus.OPEN, assignee, resolution, utc(opened_at),
        utc(updated_at), int(events),
    )  # fmt: skip


def _event(row: Sequence[Any]) -> CaseEvent:
    event_id, case_id, kind, at, actor, company_id, order_id, subject, text = row
    return CaseEvent(event_id, case_id, CaseEventKind(kind), utc(at), actor, company_id, order_id, subject, text)


class ClickHouseCases:
    def __init__(self, clickhouse: Reads) -> None:
        self._ch = clickhouse

    async def page(self, q: CaseQuery, after: CaseKey | None, limit: int) -> tuple[list[CaseView], CaseKey | None]:
        """Newest opened first; the key is set when there may be more."""
        check_limit(limit)
        having: list[str] = []
        params: dict[str, Any] = {"limit": limit + 1}
        if q.status is not None:
            having.append("resolved" if q.status is CaseStatus.RESOLVED else "NOT resolved")
        if q.company_id is not None:
            having.append("case_company = {company_id:String}")
            params["company_id"] = q.company_id
        if q.assignee is not None:
            having.append("assignee = {assignee:String}")
            params["assignee"] = q.assignee
        if after is not None:
            having.append(f"(opened_at, case_id) < ({{after_at:{_AT}}}, {{after_id:String}})")
            params.update(after_at=after.opened_at, after_id=after.case_id)
        rows = await self._ch.query(
            f"SELECT {_CASE} FROM {self._ch.table('fraud_case_events')} FINAL GROUP BY case_id "
            f"{'HAVING ' + ' AND '.join(having) if having else ''} "
            "ORDER BY opened_at DESC, case_id DESC LIMIT {limit:UInt32}",
            params,
        )
        found = [_case(r) for r in rows[:limit]]
        return found, (found[-1].key if len(rows) > limit else None)

    async def get(self, case_id: str) -> CaseView | None:
        rows = await self._ch.query(
            f"SELECT {_CASE} FROM {self._ch.table('fraud_case_events')} FINAL "
            "WHERE case_id = {case_id:String} GROUP BY case_id",
            {"case_id": case_id},
        )
        return _case(rows[0]) if rows else None

    async def events(self, case_id: str, since: datetime | None = None) -> list[CaseEvent]:
        """The case's timeline, oldest first; `since`: none of its events is older (an order's
        case: its creation), which skips the older partitions. By key columns before FINAL
        (every copy of an event has the same key): exact, and no other case's rows are merged."""
        after = f" AND at >= {{since:{_AT}}}" if since is not None else ""
        rows = await self._ch.query(
            f"SELECT {_EVENT} FROM {self._ch.table('fraud_case_events')} FINAL "
            f"PREWHERE case_id = {{case_id:String}}{after} ORDER BY at, event_id",
            {"case_id": case_id, **({"since": since} if since is not None else {})},
            FINAL_SETTINGS,
        )
        return [_event(r) for r in rows]
