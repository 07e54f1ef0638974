"""The transactions and request-log pages over the real report queries (embedded ClickHouse):
what the fakes cannot show — filters narrowing the rows, totals per currency of every page,
following the next links to the end without a gap or a repeat, the latest state of an order."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from domain.staff import Role
from quadra.staff_roles import with_reports
from tests.analytics.reports.rows import REQUEST_COLUMNS, insert, insert_orders, order
from tests.api.staff.conftest import StaffHarness
from tests.builders import T0
from tests.dashboards.conftest import sign_in


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


PAGE = "/admin/transactions"
_ORDER_LINK = re.compile(r'href="/admin/orders/(ord_[0-9a-f]{32})"')
_NEXT = re.compile(r'href="(\?[^"]*cursor=[^"]+)" rel="next"')


@pytest.fixture
async def live_reports(staff_api: StaffHarness, clickhouse: ClickHouse) -> StaffHarness:
    migrate(clickhouse)
    rows = [order(n) for n in range(9)]
    rows[1].update(status="failed")
    rows[2].update(company_id="cmp_b", currency="USD", amount_value=5000)
    rows[3].update(company_id="cmp_b", currency="USD", amount_value=7000)
    rows[4].update(amount_value=123456)
    await insert_orders(clickhouse, rows)
    # A stale version of order 0 (the sink wrote it before the newer one): never shown nor counted.
    await insert_orders(clickhouse, [order(0, status="approved", version=0, amount_value=1)])
    requests = [{"request_id": f"req{n}", "direction": "inbound", "at": T0 + timedelta(seconds=n),
                 "company_id": "cmp_a", "method": "POST", "path": f"/v1/orders/{n}", "status": 201 if n % 2 else 422,
                 "correlation_id": f"corr-{n}"} for n in range(5)]  # fmt: skip
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, requests)
    assert staff_api.app is not None
    services = staff_api.app.state.services
    staff_api.app.state.services = replace(services, staff=with_reports(services.staff, clickhouse))
    await sign_in(staff_api.client, staff_api.users[Role.READ_ONLY].email)
    return staff_api


async def _walk(h: StaffHarness, query: str) -> tuple[list[str], list[str]]:
    """Every order id over every page (following the next links), and the first page's HTML parts."""
    seen: list[str] = []
    first_page = ""
    url = f"{PAGE}?{query}"
    for _ in range(20):
        r = await h.client.get(url)
        assert r.status_code == 200, r.text
        first_page = first_page or r.text
        seen += _ORDER_LINK.findall(r.text)
        found = _NEXT.search(r.text)
        if not found:
            return seen, [first_page]
        url = PAGE + html.unescape(found.group(1))
    raise AssertionError("too many pages")


def _ids(*numbers: int) -> list[str]:
    return [f"ord_{n:032x}" for n in numbers]


async def test_pages_follow_to_the_end_newest_first_with_totals_of_all_pages(live_reports: StaffHarness) -> None:
    seen, (first,) = await _walk(live_reports, "limit=2&status=completed")
    assert seen == _ids(8, 7, 6, 5, 4, 3, 2, 0)  # newest first, no gap, no repeat, not the failed one
    assert "<strong>8</strong> transactions match" in first
    # EUR: 0,4,5,6,7,8 → 1000 + 123456 + 1005 + 1006 + 1007 + 1008; USD: 5000 + 7000.
    assert "1,284.82\u00a0EUR" in first and "120.00\u00a0USD" in first
    assert "0.01\u00a0EUR" not in first  # the stale version of order 0 is nowhere


async def test_filters_narrow_the_rows_and_sorting_by_amount_pages_too(live_reports: StaffHarness) -> None:
    seen, (first,) = await _walk(live_reports, "company_id=cmp_b")
    assert seen == _ids(3, 2) and "<strong>2</strong>" in first
    seen, _ = await _walk(live_reports, "amount_min=10.05&amount_max=1234.56&currency=EUR&limit=2&sort=amount&order=asc")
    assert seen == _ids(5, 6, 7, 8, 4)  # 1005 ≤ amount ≤ 123456 minor units, smallest first
    seen, _ = await _walk(live_reports, "end_user_id=%27+OR+1%3D1+--")
    assert seen == []  # SQL text is a value that matches nobody


async def test_request_log_pages_over_the_real_log(live_reports: StaffHarness) -> None:
    r = await live_reports.client.get("/admin/request-log", params={"company_id": "cmp_a", "status_min": "400",
                                                                     "limit": "1"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert 'href="/admin/request-log/req4"' in r.text and "req2" not in r.text
    found = _NEXT.search(r.text)
    assert found
    second = await live_reports.client.get("/admin/request-log" + html.unescape(found.group(1)))
    assert 'href="/admin/request-log/req2"' in second.text and "req4" not in second.text
