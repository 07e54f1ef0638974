"""Mass payouts in the back office: every company's batches (a company filter, keyset pages) and
one batch's page (progress polled while it runs, counts, totals, rejected lines, the results CSV).

The query is decoded into the staff JSON route's own parameter models (api/staff/batch_routes.py),
and the use cases are the ones those routes call (the partner API's BatchService, any company);
the permission is the one for viewing transactions (reports.read).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import errors
from api.batch_schemas import BatchLineParams
from api.batch_service import BatchService, BatchView, LinePage
from api.batches import checked, results_response
from api.deps import services
from api.staff.batch_routes import StaffBatchListParams
from dashboards.params import Items, decode, echo, field_messages, filled, problem_of, query_string
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.batches import PENDING_LINE, REJECTED_LINE, RESTING
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.REPORTS_READ))]
PAGE_SIZES = (25, 50, 100)
REJECTED_PAGE = 50


def _batches(request: Request) -> BatchService:
    batches = services(request).staff.batches
    if batches is None:  # as the JSON route: this process does not serve mass payouts
        raise errors.Problem(503, "batches-unavailable", "Mass payouts are not available here")
    return batches


def _list_page(
    request: Request, viewer: Viewer, items: Items, params: StaffBatchListParams | None = None,
    found: list[BatchView] | None = None, next_cursor: str | None = None, problem: errors.Problem | None = None,
) -> Response:  # fmt: skip
    limit = params.limit if params else 50
    context: dict[str, Any] = {
        "values": echo(items),
        "page_sizes": [(str(n), str(n)) for n in sorted({*PAGE_SIZES, limit})],
        "limit": limit,
        "errors": field_messages(problem, viewer.t) if problem else {},
        "found": found,
        "first_href": "?" + query_string(items, cursor=None) if params and params.cursor else "",
        "next_href": "?" + query_string(items, cursor=next_cursor) if next_cursor else "",
    }
    return render(request, "batches/index.html", context, status=problem.status if problem else 200, viewer=viewer)


@router.get("/batches")
async def batches(request: Request, viewer: Reader) -> Response:
    items = filled(request.query_params.multi_items())
    try:
        params = decode(StaffBatchListParams, items)
        page = await _batches(request).list_batches(params.company_id, params.cursor, params.limit)
    except (errors.Problem, DomainError) as refused:
        return _list_page(request, viewer, items, problem=problem_of(refused))
    return _list_page(request, viewer, items, params, page.batches, page.next_cursor)


def _progress(view: BatchView) -> dict[str, Any]:
    h, p = view.header, view.progress
    resting = sum(p.counts[s] for s in RESTING)
    return {
        "batch": h, "progress": p, "finished": p.status.value == "completed",
        "percent": 100 if not h.accepted_lines else resting * 100 // h.accepted_lines,
        "count_keys": [*RESTING, PENDING_LINE],
    }


@router.get("/batches/{batch_id}")
async def batch(request: Request, batch_id: str, viewer: Reader) -> Response:
    service = _batches(request)
    view = await service.get(None, checked(batch_id))  # a batch that is none: the 404 page
    items = filled(request.query_params.multi_items())
    problem, rejected = None, LinePage([], None)
    try:
        params = decode(BatchLineParams, items)
        rejected = await service.lines(None, batch_id, REJECTED_LINE, params.cursor, REJECTED_PAGE)
    except (errors.Problem, DomainError) as refused:
        problem = problem_of(refused)
    context = {
        **_progress(view),
        "rejected": rejected.lines,
        "errors": field_messages(problem, viewer.t) if problem else {},
        "first_href": "?" + query_string(items, cursor=None) if "cursor" in dict(items) else "",
        "next_href": "?" + query_string(items, cursor=rejected.next_cursor) if rejected.next_cursor else "",
    }
    return render(request, "batches/detail.html", context, status=problem.status if problem else 200, viewer=viewer)


@router.get("/batches/{batch_id}/progress")
async def batch_progress(request: Request, batch_id: str, viewer: Reader) -> Response:
    """The progress panel alone, polled by htmx every 2 s until the batch completes."""
    view = await _batches(request).get(None, checked(batch_id))
    return render(request, "batches/_progress.html", _progress(view), viewer=viewer)


@router.get("/batches/{batch_id}/results.csv")
async def batch_results(request: Request, batch_id: str, viewer: Reader) -> Response:
    header, chunks = await _batches(request).results_csv(None, checked(batch_id))
    return results_response(header.id, chunks)
