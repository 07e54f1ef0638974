"""The seam through which the company page shows a company's recent audit events.

The use cases record audit events but do not return them, and the audit-log reader (the staff
AuditLog / GET /staff/v1/audit) is not on this branch yet. So the page reads through this one
small port, set on the app by the composition root (`install_admin(..., company_audit=...)`);
without one the page says the audit log is not available here. When the audit service lands,
an adapter of a few lines over it fills the port (see `recent_for_company`).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

from domain.audit import AuditEvent

RECENT_AUDIT = 10  # the company page shows this many of the newest events


class CompanyAuditFeed(Protocol):
    async def recent_for_company(self, company_id: str, limit: int) -> list[AuditEvent]:
        """The company's newest audit events first, at most `limit` of them."""


def company_audit_feed(request: Request) -> CompanyAuditFeed | None:
    return getattr(request.app.state, "company_audit", None)
