"""The audit-log viewer (audit.read): decode, call one use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api import errors
from api.deps import services
from api.staff.audit_schemas import AuditEventList, AuditEventOut, AuditParams
from api.staff.auth import require
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: audit"])
Auditor = Annotated[StaffUser, Depends(require(Permission.AUDIT_READ))]


@router.get("/audit", response_model=AuditEventList)
async def audit_log(
    request: Request, _user: Auditor, params: Annotated[AuditParams, Query()]
) -> AuditEventList:
    """Audit events, newest first: filter by actor, action (`action` exact or
    `action_prefix`), company, target and time (`from` inclusive, `to` exclusive); at most
    200 a page, `next_cursor` for the next."""
    viewer = services(request).staff.audit_log
    if viewer is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "audit-log-unavailable", "The audit log is not available here")
    page = await viewer.search(params.to_query(), params.cursor, params.limit)
    return AuditEventList(
        data=[AuditEventOut.from_record(r) for r in page.items], next_cursor=page.next_cursor
    )
