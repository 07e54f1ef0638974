"""Request-log pages without a company (two steps over `request_log_by_time`) equal the
straightforward `request_log FINAL` query, page after page: several companies, rows sharing
a millisecond, replayed rows in separate parts (many copies of the newest, so the keys must
grow), sparse filters, and rows stored before migration 0011 (backfilled) and after it."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.request_log import ClickHouseRequestLog, RequestLogKey, RequestLogQuery, _where
from tests.analytics.before_migration import migrate_before
from tests.analytics.reports.rows import REQUEST_COLUMNS, insert
from tests.builders import T0

PATHS = ("/v1/orders", "/v1/orders/ord_1", "/v1/balance", "https://bank-a.test/payouts", "/staff/v1/login")


def _rows(rnd: random.Random, count: int) -> list[dict]:
    rows = []
    for n in range(count):
        at = T0 + timedelta(milliseconds=rnd.randrange(0, 40_000) // 7 * 7)  # many ties
        rows.append({
            "request_id": f"{rnd.getrandbits(128):032x}", "direction": rnd.choice(("inbound", "outbound", "webhook")),
            "at": at, "company_id": rnd.choice(("cmp_a", "cmp_b", "cmp_c", "")), "method": "POST",
            "path": rnd.choice(PATHS), "status": rnd.choice((200, 201, 201, 201, 422, 502)),
            "correlation_id": f"ord_{n % 40}",
        })  # fmt: skip
    return rows


QUERIES = [
    RequestLogQuery(),
    RequestLogQuery(status=502),
    RequestLogQuery(status_min=400, status_max=499, direction="inbound"),
    RequestLogQuery(path_prefix="/v1/orders"),
    RequestLogQuery(path_prefix="https://"),
    RequestLogQuery(correlation_id="ord_7"),
    RequestLogQuery(at_from=T0 + timedelta(seconds=10), at_to=T0 + timedelta(seconds=20)),
    RequestLogQuery(company_id="cmp_b", status=201),  # the plain query, for comparison
    RequestLogQuery(correlation_id="x' OR 1=1 --", path_prefix="{company_id:String}"),
]


async def _oracle(ch: ClickHouse, q: RequestLogQuery) -> list[str]:
    where, params = _where(q, None)
    rows = await ch.query(
        f"SELECT request_id FROM {ch.table('request_log')} FINAL {where} ORDER BY at DESC, request_id DESC", params
    )
    return [r[0] for r in rows]


async def _paged(log: ClickHouseRequestLog, q: RequestLogQuery, limit: int) -> list[str]:
    seen: list[str] = []
    after: RequestLogKey | None = None
    while True:
        found, after = await log.search(q, after, limit)
        seen += [r.request_id for r in found]
        if after is None:
            return seen
        assert len(found) == limit


@pytest.fixture
async def log(clickhouse: ClickHouse, tmp_path: Path) -> ClickHouseRequestLog:
    rnd = random.Random(5)
    rows = _rows(rnd, 400)
    migrate_before(clickhouse, 11, tmp_path / "before")
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, rows[:200])  # backfilled by 0011
    migrate(clickhouse)
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, rows[200:])  # through the view
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, rows[::5])  # a replay: identical rows
    newest = sorted(rows, key=lambda r: (r["at"], r["request_id"]))[-4:]
    for _ in range(12):  # the newest rows many times over: the first keys are mostly copies
        await insert(clickhouse, "request_log", REQUEST_COLUMNS, newest)
    return ClickHouseRequestLog(clickhouse)


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
async def test_pages_equal_the_straightforward_query(log: ClickHouseRequestLog, clickhouse: ClickHouse,
                                                     q: RequestLogQuery) -> None:  # fmt: skip
    expected = await _oracle(clickhouse, q)
    assert await _paged(log, q, 500) == expected
    assert await _paged(log, q, 3) == expected
    assert await _paged(log, q, 17) == expected
