"""Request-log search: filters, newest first, keyset pages, SQL-looking values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.request_log import ClickHouseRequestLog, RequestLogQuery, decode_key, encode_key
from domain.errors import InvalidCursor
from tests.analytics.reports.rows import REQUEST_COLUMNS, insert
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


S = timedelta(seconds=1)


def _request(n: int, **overrides: object) -> dict:
    values = {
        "request_id": f"req{n:04d}", "direction": "inbound", "at": T0 + n * S, "company_id": "cmp_a",
        "method": "POST", "path": "/v1/orders", "status": 201, "correlation_id": f"corr-{n}",
    }  # fmt: skip
    values.update(overrides)
    return values


@pytest.fixture
async def log(clickhouse: ClickHouse) -> ClickHouseRequestLog:
    migrate(clickhouse)
    rows = [_request(n) for n in range(10)]
    rows[1].update(status=422)
    rows[2].update(status=500, path="/v1/orders/ord_1", method="GET")
    rows[3].update(direction="outbound", path="https://bank-a.test/payouts", correlation_id="ord_x")
    rows[4].update(direction="webhook", path="https://partner.test/hook", correlation_id="ord_x")
    rows[5].update(company_id="cmp_b", path="/v1/balance", method="GET", status=200)
    rows[6].update(company_id="", path="/staff/v1/login", status=401)
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, rows)
    await insert(clickhouse, "request_log", REQUEST_COLUMNS, rows[:3])  # replayed: no duplicates
    return ClickHouseRequestLog(clickhouse)


CASES = [
    ("everything", RequestLogQuery(), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
    ("company", RequestLogQuery(company_id="cmp_b"), [5]),
    ("direction", RequestLogQuery(direction="outbound"), [3]),
    ("path prefix", RequestLogQuery(path_prefix="/v1/orders/"), [2]),
    ("path prefix wide", RequestLogQuery(path_prefix="/v1/"), [9, 8, 7, 5, 2, 1, 0]),
    ("status", RequestLogQuery(status=422), [1]),
    ("status range", RequestLogQuery(status_min=400, status_max=499), [6, 1]),
    ("server errors", RequestLogQuery(status_min=500), [2]),
    ("correlation id", RequestLogQuery(correlation_id="ord_x"), [4, 3]),
    ("time", RequestLogQuery(at_from=T0 + 2 * S, at_to=T0 + 4 * S), [3, 2]),
    ("combined", RequestLogQuery(company_id="cmp_a", direction="inbound", status_max=299), [9, 8, 7, 0]),
    ("injection", RequestLogQuery(path_prefix="x' OR 1=1 --"), []),
    ("injection 2", RequestLogQuery(company_id="\\'; DROP TABLE request_log; --", correlation_id="ü" * 5000), []),
]  # fmt: skip


@pytest.mark.parametrize(("name", "q", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_search(log: ClickHouseRequestLog, name: str, q: RequestLogQuery, expected: list[int]) -> None:
    found, after = await log.search(q, limit=500)
    assert [r.request_id for r in found] == [f"req{n:04d}" for n in expected] and after is None


async def test_pages_newest_first_each_row_once(log: ClickHouseRequestLog) -> None:
    seen, after = [], None
    while True:
        found, after = await log.search(RequestLogQuery(), after, limit=3)
        seen += [r.request_id for r in found]
        if after is None:
            break
        token = encode_key(after)
        assert token is not None
        after = decode_key(token)
    assert seen == [f"req{n:04d}" for n in range(9, -1, -1)]
    with pytest.raises(InvalidCursor):
        decode_key(token[:-3])
    assert (await log.search(RequestLogQuery(status=201)))[0][0].at == T0 + 9 * S
