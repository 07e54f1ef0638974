"""The report use cases over fakes of their reads: how they call them."""

from __future__ import annotations

import asyncio

from analytics.reports.filters import TransactionFilter
from analytics.reports.transactions import Sort, Totals, TransactionKey, TransactionPage
from api.staff.report_service import ReportService
from tests.api.staff.report_fakes import FakeReports


class _EachWaitsForTheOther(FakeReports):
    """The page answers only once the totals were asked for, and the totals once the page was:
    read one after the other, the report would never finish."""

    def __init__(self) -> None:
        super().__init__()
        self.page_asked, self.totals_asked = asyncio.Event(), asyncio.Event()

    async def page(self, f: TransactionFilter, sort: Sort, after: TransactionKey | None, limit: int) -> TransactionPage:
        self.page_asked.set()
        await self.totals_asked.wait()
        return await super().page(f, sort, after, limit)

    async def totals(self, f: TransactionFilter) -> Totals:
        self.totals_asked.set()
        await self.page_asked.wait()
        return await super().totals(f)


async def test_the_page_and_its_totals_are_read_at_once() -> None:
    reads = _EachWaitsForTheOther()
    service = ReportService(reads, reads, reads, reads)
    report = await asyncio.wait_for(service.transactions(TransactionFilter(), Sort(), None, 2), timeout=5)
    assert [t.order_id for t in report.items] == [t.order_id for t in reads.transactions[:2]]
    assert report.totals.count == 3 and report.next_cursor is not None
