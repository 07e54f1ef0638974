"""The seam through which the company page shows a company's recent audit events.

The use cases record audit events but do not return them; the page reads them back through
this small port, set on the app by the composition root (`install_admin(..., company_audit=...)`)
as `AuditViewerFeed` over the audit-log viewer; without one the page says the audit log is not
available here. The log reaches ClickHouse through the sink, so an event recorded a moment ago
can appear a moment later.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

from analytics.audit_search import AuditQuery
from api.staff.audit_service import AuditViewer
from domain.audit import AuditEvent

RECENT_AUDIT = 10  # the company page shows this many of the newest events


class CompanyAuditFeed(Protocol):
    async def recent_for_company(self, company_id: str, limit: int) -> list[AuditEvent]:
        """The company's newest audit events first, at most `limit` of them."""


def company_audit_feed(request: Request) -> CompanyAuditFeed | None:
    return getattr(request.app.state, "company_audit", None)


class AuditViewerFeed:
    """The port over the staff audit-log viewer (GET /staff/v1/audit's use case)."""

    def __init__(self, viewer: AuditViewer) -> None:
        self._viewer = viewer

    async def recent_for_company(self, company_id: str, limit: int) -> list[AuditEvent]:
        page = await self._viewer.search(AuditQuery(company_id=company_id), None, limit)
        return [record.event for record in page.items]
