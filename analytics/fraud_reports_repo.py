"""A company's fraud reports (`fraud_reports`), newest first, keyset-paginated; the company is
always a bound filter, so one partner never reads another's reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.common import check_limit, utc
from analytics.reports.cursor import cursor_datetime, cursor_str, decode_cursor, encode_cursor
from domain.errors import InvalidCursor
from domain.fraud import FraudReport
from domain.fraud_views import ReportKey

_AT = "DateTime64(3, 'UTC')"
_REPORT = "report_id, company_id, order_id, external_id, end_user_id, reason, blocked, reported_at"


def encode_report_key(key: ReportKey | None) -> str | None:
    return None if key is None else encode_cursor("fraud-reports", [key.reported_at, key.report_id])


def decode_report_key(token: str) -> ReportKey:
    values = decode_cursor("fraud-reports", token)
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return ReportKey(cursor_datetime(values[0]), cursor_str(values[1]))


class ClickHouseFraudReports:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def page(
        self, company_id: str, at_from: datetime | None, at_to: datetime | None, after: ReportKey | None, limit: int
    ) -> tuple[list[FraudReport], ReportKey | None]:
        """`from` inclusive, `to` exclusive; the key is set when there may be more."""
        check_limit(limit)
        clauses = ["company_id = {company_id:String}"]
        params: dict[str, Any] = {"company_id": company_id, "limit": limit + 1}
        if at_from is not None:
            clauses.append(f"reported_at >= {{at_from:{_AT}}}")
            params["at_from"] = at_from
        if at_to is not None:
            clauses.append(f"reported_at < {{at_to:{_AT}}}")
            params["at_to"] = at_to
        if after is not None:
            clauses.append(f"(reported_at, report_id) < ({{after_at:{_AT}}}, {{after_id:String}})")
            params.update(after_at=after.reported_at, after_id=after.report_id)
        rows = await self._ch.query(
            f"SELECT {_REPORT} FROM {self._ch.table('fraud_reports')} FINAL WHERE {' AND '.join(clauses)} "
            "ORDER BY reported_at DESC, report_id DESC LIMIT {limit:UInt32}",
            params,
        )
        found = [
            FraudReport(report_id, company, order_id, external_id, end_user, reason, bool(blocked), utc(at))
            for report_id, company, order_id, external_id, end_user, reason, blocked, at in rows[:limit]
        ]
        last = found[-1] if found else None
        return found, (ReportKey(last.reported_at, last.report_id) if last and len(rows) > limit else None)
