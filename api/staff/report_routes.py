"""Staff report routes: transactions (page + totals), aggregates, statements and the request
log. Decode, call one use case, encode; every read goes through ReportService."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, StringConstraints

from analytics.reports.aggregates import GroupBy
from analytics.reports.transactions import Sort
from api import errors
from api.deps import services
from api.staff.auth import require
from api.staff.report_schemas import (
    AggregateList, AggregateOut, AggregateParams, LoggedRequestOut, RequestLogList, RequestLogParams,
    SortOrder, StatementOut, TotalsOut, TransactionOut, TransactionReportOut, TransactionReportParams,
)  # fmt: skip
from api.staff.report_service import ReportService
from domain.companies import COMPANY_ID
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/reports", tags=["staff: reports"])
Reader = Annotated[StaffUser, Depends(require(Permission.REPORTS_READ))]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
_GROUPINGS = ", ".join(g.value for g in GroupBy)


def _reports(request: Request) -> ReportService:
    reports = services(request).staff.reports
    if reports is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "reports-unavailable", "Reports are not available here")
    return reports


def _groupings(values: list[str]) -> list[GroupBy]:
    names = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in GroupBy._value2member_map_]
    if unknown or not names:
        raise errors.validation_failed([errors.FieldError(
            "group_by", "enum", f"group by one or more of {_GROUPINGS} (got {', '.join(unknown)[:100] or 'none'})"
        )])  # fmt: skip
    if len(set(names)) != len(names):
        raise errors.validation_failed([errors.FieldError("group_by", "duplicate", "each grouping once")])
    return [GroupBy(n) for n in names]


@router.get("/transactions", response_model=TransactionReportOut)
async def transactions(
    request: Request, _user: Reader, params: Annotated[TransactionReportParams, Query()]
) -> TransactionReportOut:
    """Orders (latest state) matching the filter, one page at a time, with the totals (count,
    amount, fee per currency) of everything the filter matches."""
    sort = Sort(params.sort, descending=params.order is SortOrder.DESC)
    report = await _reports(request).transactions(params.to_filter(), sort, params.cursor, params.limit)
    return TransactionReportOut(
        data=[TransactionOut.from_row(t) for t in report.items],
        totals=TotalsOut.from_totals(report.totals),
        next_cursor=report.next_cursor,
    )


@router.get("/aggregates", response_model=AggregateList)
async def aggregates(
    request: Request, _user: Reader, params: Annotated[AggregateParams, Query()]
) -> AggregateList:
    """Count, amount and fee per currency, grouped by day / company / product_type / status
    over [from, to) (at most 400 days); the transaction filters narrow it further."""
    group_by = _groupings(params.group_by)
    rows = await _reports(request).aggregates(group_by, params.to_filter())
    names = [g.value for g in group_by]
    return AggregateList(group_by=names, data=[AggregateOut.from_row(names, r) for r in rows])


@router.get("/statements/{company_id}", response_model=StatementOut)
async def statement(
    request: Request,
    company_id: str,
    _user: Reader,
    currency: Annotated[Currency, Query()],
    period_from: Annotated[AwareDatetime, Query(alias="from")],
    period_to: Annotated[AwareDatetime, Query(alias="to")],
) -> StatementOut:
    """Opening balance, the period's movements by kind, closing balance, and whether they
    reconcile (opening + movements == closing), from the ledger's entries; at most 366 days."""
    if not COMPANY_ID.match(company_id):
        raise errors.not_found(f"No company {company_id[:70]}")
    services(request).staff.companies.get(company_id)  # 404 problem for an unknown company
    s = await _reports(request).statement(company_id, currency, period_from, period_to)
    return StatementOut.from_statement(s)


@router.get("/request-log", response_model=RequestLogList)
async def request_log(
    request: Request, _user: Reader, params: Annotated[RequestLogParams, Query()]
) -> RequestLogList:
    """Logged HTTP exchanges (inbound, outbound, webhook), newest first; `path` is a prefix;
    `status` exact or `status_min`/`status_max`; `from` inclusive, `to` exclusive."""
    found, cursor = await _reports(request).request_log(params.to_query(), params.cursor, params.limit)
    return RequestLogList(data=[LoggedRequestOut.from_row(r) for r in found], next_cursor=cursor)


