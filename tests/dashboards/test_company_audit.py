"""The company page's audit port over the audit-log viewer asks for that company's events."""

from __future__ import annotations

from api.staff.audit_service import AuditViewer
from dashboards.company_audit import AuditViewerFeed
from tests.api.staff.audit_fakes import FakeAuditReads


async def test_the_feed_asks_the_viewer_for_one_company_newest_first() -> None:
    reads = FakeAuditReads()
    events = await AuditViewerFeed(AuditViewer(reads)).recent_for_company("cmp_seeded", 3)
    assert [e.request_id for e in events] == ["req4", "req3", "req2"]
    query, after, limit = reads.calls[0]
    assert (query.company_id, after, limit) == ("cmp_seeded", None, 3)
