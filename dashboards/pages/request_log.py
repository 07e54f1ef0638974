"""The request log: every logged exchange (inbound, outbound, webhook) by company, direction,
path prefix, status, correlation id and time, newest first, keyset-paginated.

The query is decoded into the JSON route's own RequestLogParams (dashboards/params.py), so the
page refuses exactly what GET /staff/v1/reports/request-log refuses; the use case is the one
that route calls (ReportService.request_log). Bodies and headers are only on the detail page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from analytics.reports.request_log import LoggedRequest
from api import errors
from api.deps import services
from api.staff.report_schemas import Direction, RequestLogParams
from api.staff.report_service import ReportService
from dashboards.params import Items, decode, echo, field_messages, filled, problem_of, query_string
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.REPORTS_READ))]
PAGE_SIZES = (25, 50, 100, 200)


def _reports(request: Request) -> ReportService:
    reports = services(request).staff.reports
    if reports is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "reports-unavailable", "Reports are not available here")
    return reports


def _page(
    request: Request,
    viewer: Viewer,
    items: Items,
    params: RequestLogParams | None = None,
    found: list[LoggedRequest] | None = None,
    next_cursor: str | None = None,
    problem: errors.Problem | None = None,
) -> Response:
    t = viewer.t
    limit = params.limit if params else 50
    context: dict[str, Any] = {
        "values": echo(items),
        "directions": [("", t("reqlog.direction.any"))] + [(d.value, t("reqlog.direction." + d.value)) for d in Direction],
        "page_sizes": [(str(n), str(n)) for n in sorted({*PAGE_SIZES, limit})],
        "limit": limit,
        "errors": field_messages(problem, t) if problem else {},
        "found": found,
        "first_href": "?" + query_string(items, cursor=None) if params and params.cursor else "",
        "next_href": "?" + query_string(items, cursor=next_cursor) if next_cursor else "",
    }
    status = problem.status if problem else 200
    return render(request, "request_log/index.html", context, status=status, viewer=viewer)


@router.get("/request-log")
async def request_log(request: Request, viewer: Reader) -> Response:
    items = filled(request.query_params.multi_items())
    try:
        params = decode(RequestLogParams, items)
        found, cursor = await _reports(request).request_log(params.to_query(), params.cursor, params.limit)
    except (errors.Problem, DomainError) as refused:
        return _page(request, viewer, items, problem=problem_of(refused))
    return _page(request, viewer, items, params, found, cursor)
