"""The partner's fraud reports (`GET /v1/fraud-reports`): the caller's company only, newest
first; a cursor this API did not hand out is a 400 problem."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from analytics.fraud_reports_repo import decode_report_key, encode_report_key
from domain.fraud import FraudReport
from domain.fraud_views import ReportKey


class FraudReportReader(Protocol):
    async def page(
        self, company_id: str, at_from: datetime | None, at_to: datetime | None, after: ReportKey | None, limit: int
    ) -> tuple[list[FraudReport], ReportKey | None]: ...


class PartnerFraudReports:
    def __init__(self, reader: FraudReportReader) -> None:
        self._reader = reader

    async def list_reports(
        self, company_id: str, at_from: datetime | None, at_to: datetime | None, cursor: str | None, limit: int
    ) -> tuple[list[FraudReport], str | None]:
        after = None if cursor is None else decode_report_key(cursor)
        found, next_key = await self._reader.page(company_id, at_from, at_to, after, limit)
        # The reader filters by company already; a second look costs nothing and fails closed.
        return [r for r in found if r.company_id == company_id], encode_report_key(next_key)
