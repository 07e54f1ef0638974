"""The audit log viewer: every staff action and API-key use, newest first, with filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import errors
from api.deps import services
from api.staff.audit_schemas import AuditParams
from dashboards.forms import as_utc, echo, parse_form
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Viewer, Depends(viewer_with(Permission.AUDIT_READ))]
FILTERS = ("actor_id", "action_prefix", "company_id", "target", "from", "to", "cursor")
PAGE = 50


@router.get("/audit")
async def audit_log(request: Request, viewer: Auditor) -> Response:
    given = {k: v[:2000] for k, v in request.query_params.items() if k in FILTERS and v}
    values = {**{k: v for k, v in given.items() if k not in ("from", "to")},
              "at_from": as_utc(given.get("from", "")), "at_to": as_utc(given.get("to", ""))}  # fmt: skip
    params, problems = parse_form(AuditParams, {**values, "limit": PAGE})
    page, status = None, 200
    if params is not None:
        viewer_service = services(request).staff.audit_log
        if viewer_service is None:
            raise errors.Problem(503, "audit-log-unavailable", "The audit log is not available here")
        try:
            page = await viewer_service.search(params.to_query(), params.cursor, PAGE)
        except DomainError as error:
            problems = {error.pointer.strip("/") or "form": error.detail}
        except errors.Problem as problem:
            problems = {"cursor": problem.detail}
    if problems:
        status = 422
        problems = {("from" if k == "at_from" else "to" if k == "at_to" else k): v for k, v in problems.items()}
    rows = [
        {"record": r, "details": json.dumps(r.event.details, ensure_ascii=False, sort_keys=True)[:2000]}
        for r in (page.items if page else [])
    ]
    filters = echo({k: v for k, v in given.items() if k != "cursor"})
    return render(request, "audit.html", {
        "rows": rows, "next_cursor": page.next_cursor if page else None, "filters": filters,
        "errors": problems, "paged": "cursor" in given, "utc_now": datetime.now(UTC),
    }, status=status, viewer=viewer)  # fmt: skip
