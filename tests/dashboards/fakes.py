"""Fakes for back-office tests."""

from __future__ import annotations

from dataclasses import dataclass

from domain.audit import AuditEvent
from tests.api.fakes import RecordingAuditTrail


@dataclass
class RecordedAuditFeed:
    """The company page's audit port (dashboards.company_audit) over the recording trail."""

    trail: RecordingAuditTrail

    async def recent_for_company(self, company_id: str, limit: int) -> list[AuditEvent]:
        return [e for e in reversed(self.trail.events) if e.company_id == company_id][:limit]
