"""Transactions: the staff report (every filter, sort, keyset pages, totals) and its exports
(direct files for small ones, background jobs with a progress page for large ones).

The query is decoded into the report route's own parameter model (dashboards/params.py), so
the page refuses exactly what GET /staff/v1/reports/transactions refuses; the use cases are
the ones the JSON routes call (ReportService.transactions, TransactionExports.start/job/download).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from analytics.reports.export_output import ExportFormat
from analytics.reports.transactions import Sort, SortField
from api import errors
from api.deps import services
from api.staff.auth import acting
from api.staff.export_jobs import ExportJob, ExportStatus
from api.staff.export_service import TransactionExports
from api.staff.report_schemas import SortOrder, TransactionReportParams
from api.staff.report_service import ReportService, TransactionReport
from dashboards.params import Items, chosen, echo, field_messages, filled, problem_of, query_string
from dashboards.render import render
from dashboards.transaction_query import api_query, export_params, filter_items, report_params
from dashboards.web import CSRF_FIELD, Viewer, check_csrf, form_of, viewer_with
from domain.catalog import ProductType
from domain.errors import DomainError
from domain.orders import OrderStatus
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.REPORTS_READ))]
# Exports need what the export routes need (api/staff/export_routes.py: reports.read).
Exporter = Annotated[Viewer, Depends(viewer_with(Permission.REPORTS_READ))]
PAGE_SIZES = (25, 50, 100, 200)
_EXPORT_ID = re.compile(r"^exp_[0-9a-f]{32}$")


def _reports(request: Request) -> ReportService:
    reports = services(request).staff.reports
    if reports is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "reports-unavailable", "Reports are not available here")
    return reports


def _exports(request: Request) -> TransactionExports:
    exports = services(request).staff.exports
    if exports is None:
        raise errors.Problem(503, "exports-unavailable", "Exports are not available here")
    return exports


def _sort_links(items: Items, params: TransactionReportParams | None) -> dict[str, dict[str, str]]:
    """Per sortable column: its link (the other order when it is the current sort) and aria-sort."""
    current = params.sort if params else SortField.CREATED_AT
    descending = params.order is SortOrder.DESC if params else True
    links: dict[str, dict[str, str]] = {}
    for field in SortField:
        order = ("asc" if descending else "desc") if field is current else "desc"
        href = "?" + query_string(items, cursor=None, sort=field.value, order=order)
        state = ("descending" if descending else "ascending") if field is current else "none"
        links[field.value] = {"href": href, "aria": state}
    return links


def _labels(viewer: Viewer) -> dict[str, Any]:
    t = viewer.t
    return {
        "statuses": [(s.value, t("txn.status." + s.value)) for s in OrderStatus],
        "product_types": [(p.value, t("txn.product_type." + p.value)) for p in ProductType],
        "sorts": [(f.value, t("txn.sort." + f.value)) for f in SortField],
        "orders": [(o.value, t("txn.order." + o.value)) for o in SortOrder],
        "sandbox": [("", t("txn.sandbox.any")), ("true", t("txn.sandbox.true")), ("false", t("txn.sandbox.false"))],
    }


def _page(
    request: Request,
    viewer: Viewer,
    items: Items,
    params: TransactionReportParams | None = None,
    report: TransactionReport | None = None,
    problem: errors.Problem | None = None,
    export_problem: errors.Problem | None = None,
) -> Response:
    values = echo(items)
    limit = params.limit if params else 50
    exports = services(request).staff.exports
    context: dict[str, Any] = {
        **_labels(viewer),
        "values": values,
        "chosen_statuses": chosen(items, "status"),
        "chosen_types": chosen(items, "product_type"),
        "page_sizes": [(str(n), str(n)) for n in sorted({*PAGE_SIZES, limit})],
        "limit": limit,
        "errors": field_messages(problem, viewer.t) if problem else {},
        "export_errors": field_messages(export_problem, viewer.t) if export_problem else {},
        "report": report,
        "sort_links": _sort_links(items, params),
        "first_href": "?" + query_string(items, cursor=None) if params and params.cursor else "",
        "next_href": "?" + query_string(items, cursor=report.next_cursor) if report and report.next_cursor else "",
        "filters": filter_items(items),
        "direct_query": query_string(api_query(params)) if params else "",
        "exports_available": exports is not None,
        "direct_limit": exports.direct_limit if exports else 0,
        "formats": [f.value for f in ExportFormat],
    }
    status = (problem or export_problem).status if (problem or export_problem) else 200
    return render(request, "transactions/index.html", context, status=status, viewer=viewer)


@router.get("/transactions")
async def transactions(request: Request, viewer: Reader) -> Response:
    items = filled(request.query_params.multi_items())
    try:
        params = report_params(items)
        sort = Sort(params.sort, descending=params.order is SortOrder.DESC)
        report = await _reports(request).transactions(params.to_filter(), sort, params.cursor, params.limit)
    except (errors.Problem, DomainError) as refused:
        return _page(request, viewer, items, problem=problem_of(refused))
    return _page(request, viewer, items, params, report)


@router.post("/transactions/exports")
async def start_export(request: Request, viewer: Exporter) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    items = filled(fields.items(), skip=(CSRF_FIELD,))
    try:
        body = export_params(items)
        job = await _exports(request).start(acting(request, viewer.user), body.format, body.to_filter("/"))
    except (errors.Problem, DomainError) as refused:
        shown = filter_items([(k, v) for k, v in items if k != "format"])
        return _page(request, viewer, shown, export_problem=problem_of(refused))
    return RedirectResponse(f"/admin/transactions/exports/{job.id}", status_code=303)


def _job(request: Request, viewer: Viewer, export_id: str) -> ExportJob:
    if not _EXPORT_ID.match(export_id):
        raise errors.not_found(f"No export {export_id[:70]}")
    return _exports(request).job(viewer.user, export_id)


def _progress_context(job: ExportJob) -> dict[str, Any]:
    finished = job.status in (ExportStatus.DONE, ExportStatus.FAILED)
    return {"job": job, "finished": finished, "status_key": "txn.export.status." + job.status.value}


@router.get("/transactions/exports/{export_id}")
async def export_page(request: Request, export_id: str, viewer: Exporter) -> Response:
    job = _job(request, viewer, export_id)
    return render(request, "transactions/export.html", _progress_context(job), viewer=viewer)


@router.get("/transactions/exports/{export_id}/progress")
async def export_progress(request: Request, export_id: str, viewer: Exporter) -> Response:
    """The progress panel alone, polled by htmx every second until the job finishes."""
    job = _job(request, viewer, export_id)
    return render(request, "transactions/_export_progress.html", _progress_context(job), viewer=viewer)


@router.get("/transactions/exports/{export_id}/download")
async def export_download(request: Request, export_id: str, viewer: Exporter) -> Response:
    if not _EXPORT_ID.match(export_id):
        raise errors.not_found(f"No export {export_id[:70]}")
    job, path = await _exports(request).download(acting(request, viewer.user), export_id)
    headers = {"Content-Disposition": f'attachment; filename="{job.filename}"', "Cache-Control": "no-store"}
    return FileResponse(path, media_type=job.format.media_type, headers=headers)
