"""Request-log search: inbound, outbound and webhook exchanges by company, direction, path
prefix, status (one or a range), correlation id and time; newest first, keyset-paginated.

`request_log` is sorted by (company_id, at, request_id): a company and a time range narrow the
read first; the correlation-id bloom filter, the status min/max and the path token index
skip the rest. Without a company, the newest rows are the tail of every company's range (2-3 s
on 14.6 M rows): those pages read `request_log_by_time` (migration 0011, the same rows sorted
by time) in two steps (`_by_time`). Every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.clickhouse import Reads
from analytics.reports.common import check_limit, utc
from analytics.reports.cursor import cursor_datetime, cursor_str, decode_cursor, encode_cursor
from domain.errors import InvalidCursor
from domain.order_timeline import request_time_ms

DIRECTIONS = frozenset({"inbound", "outbound", "webhook"})


@dataclass(frozen=True, slots=True)
class RequestLogQuery:
    company_id: str | None = None
    direction: str | None = None  # inbound, outbound or webhook
    path_prefix: str | None = None
    status: int | None = None
    status_min: int | None = None  # inclusive
    status_max: int | None = None  # inclusive
    correlation_id: str | None = None
    at_from: datetime | None = None  # inclusive
    at_to: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class RequestLogKey:
    at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    request_id: str
    direction: str
    at: datetime
    company_id: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: int
    client_ip: str
    correlation_id: str
    idempotency_key: str
    request_headers: str
    request_body: str
    response_body: str
    error_type: str

    @property
    def key(self) -> RequestLogKey:
        return RequestLogKey(self.at, self.request_id)


LOGGED_COLUMNS = (
    "request_id, direction, at, company_id, method, path, query, status, duration_ms, client_ip, "
    "correlation_id, idempotency_key, request_headers, request_body, response_body, error_type"
)


def logged_from_row(row: tuple[Any, ...]) -> LoggedRequest:
    """A row of LOGGED_COLUMNS."""
    values = list(row)
    values[2] = utc(values[2])
    values[7], values[8] = int(values[7]), int(values[8])
    return LoggedRequest(*values)


def encode_key(key: RequestLogKey | None) -> str | None:
    return None if key is None else encode_cursor("requests", [key.at, key.request_id])


def decode_key(token: str) -> RequestLogKey:
    values = decode_cursor("requests", token)
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return RequestLogKey(cursor_datetime(values[0]), cursor_str(values[1]))


def _where(q: RequestLogQuery, after: RequestLogKey | None) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}

    def add(condition: str, name: str, value: Any) -> None:
        if value is not None:
            parts.append(condition)
            params[name] = value

    add("company_id = {company_id:String}", "company_id", q.company_id)
    add("at >= {at_from:DateTime64(3, 'UTC')}", "at_from", q.at_from)
    add("at < {at_to:DateTime64(3, 'UTC')}", "at_to", q.at_to)
    add("direction = {direction:String}", "direction", q.direction)
    add("startsWith(path, {path_prefix:String})", "path_prefix", q.path_prefix)
    add("status = {status:UInt16}", "status", q.status)
    add("status >= {status_min:UInt16}", "status_min", q.status_min)
    add("status <= {status_max:UInt16}", "status_max", q.status_max)
    add("correlation_id = {correlation_id:String}", "correlation_id", q.correlation_id)
    if after is not None:
        parts.append(
            "at <= {after_at:DateTime64(3, 'UTC')} AND "
            "(at, request_id) < ({after_at:DateTime64(3, 'UTC')}, {after_id:String})"
        )
        params.update(after_at=after.at, after_id=after.request_id)
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


class ClickHouseRequestLog:
    def __init__(self, clickhouse: Reads) -> None:
        self._ch = clickhouse

    async def search(
        self, q: RequestLogQuery, after: RequestLogKey | None = None, limit: int = 50
    ) -> tuple[list[LoggedRequest], RequestLogKey | None]:
        """Newest first; the key is set when there may be more."""
        check_limit(limit)
        where, params = _where(q, after)
        if q.company_id is None:
            rows = await self._by_time(where, params, limit + 1)
        else:
            rows = await self._page(self._ch.table("request_log"), where, params, limit + 1)
        found = [logged_from_row(r) for r in rows[:limit]]
        return found, (found[-1].key if len(rows) > limit else None)

    async def _page(self, table: str, where: str, params: dict[str, Any], want: int) -> list[tuple[Any, ...]]:
        return await self._ch.query(
            f"SELECT {LOGGED_COLUMNS} FROM {table} FINAL {where} "
            "ORDER BY at DESC, request_id DESC LIMIT {want:UInt32}",
            {**params, "want": want},
            _FINAL_SETTINGS,
        )

    async def _by_time(self, where: str, params: dict[str, Any], want: int) -> list[tuple[Any, ...]]:
        """The first `want` rows in two steps over `request_log_by_time`, as analytics/reports/
        page_window.py does for orders. 1: keys, without FINAL: the first `n` rows that match
        (any copy of a row: a superset of the rows FINAL keeps that match), read in order.
        2: FINAL over the window from the page's start to the last key (inclusive). Every row
        that matches beyond the window sorts after it, so when `want` rows match in the window
        the page is the true one; when step 1 ran out of rows the window reaches the end.
        Otherwise (mostly copies of replayed rows) more keys; after a few rounds, one step."""
        table = self._ch.table("request_log_by_time")
        n = want + want // 4 + 1
        for _ in range(_ROUNDS):
            keys = await self._ch.query(
                f"SELECT at, request_id FROM {table} {where} ORDER BY at DESC, request_id DESC LIMIT {{n:UInt32}}",
                {**params, "n": n},
            )
            if not keys:
                return []
            through = (
                "at >= {through_at:DateTime64(3, 'UTC')} AND "
                "(at, request_id) >= ({through_at:DateTime64(3, 'UTC')}, {through_id:String})"
            )
            found = await self._page(
                table, f"{where} AND {through}" if where else f"WHERE {through}",
                {**params, "through_at": keys[-1][0], "through_id": keys[-1][1]}, want,
            )  # fmt: skip
            if len(found) >= want or len(keys) < n:
                return found
            n *= 4
        return await self._page(table, where, params, want)

    async def get(self, request_id: str) -> LoggedRequest | None:
        """One exchange by id. The table is not sorted by id, so the id narrows the read: a
        32-hex id (inbound request, provider call) holds the millisecond it was made (a call's
        row is stamped when it started, at most its timeout before), a webhook attempt's id
        starts with its message id, the row's correlation id (bloom-filtered)."""
        clauses, params = ["request_id = {request_id:String}"], {"request_id": request_id}
        made_ms = request_time_ms(request_id)
        if made_ms is not None:
            if made_ms >= _LATEST_MS:
                return None  # made after the columns' range ends: no row has it
            made = datetime.fromtimestamp(made_ms / 1000, UTC)
            # The copy sorted by (at, request_id) finds it in a granule or two; `request_log`
            # (company first) reads a granule per company. Key columns before FINAL: exact.
            rows = await self._ch.query(
                f"SELECT {LOGGED_COLUMNS} FROM {self._ch.table('request_log_by_time')} FINAL "
                "PREWHERE at >= {at_from:DateTime64(3, 'UTC')} AND at < {at_to:DateTime64(3, 'UTC')} "
                "AND request_id = {request_id:String} LIMIT 1",
                {**params, "at_from": made - _CALL_SLACK, "at_to": made + _CLOCK_SLACK},
                _FINAL_SETTINGS,
            )
            return logged_from_row(rows[0]) if rows else None
        if request_id.startswith("msg_"):
            clauses.append("correlation_id = {message_id:String}")
            params["message_id"] = request_id.split(":", 1)[0]
        rows = await self._ch.query(
            f"SELECT {LOGGED_COLUMNS} FROM {self._ch.table('request_log')} FINAL WHERE {' AND '.join(clauses)} LIMIT 1",
            params,
        )
        return logged_from_row(rows[0]) if rows else None


_ROUNDS = 3  # key rounds (n, 4n, 16n) before the one-step query
# FINAL merges within each partition only: exact, the partition (month of `at`) is part of a
# row's identity, so all copies of a row share one.
_FINAL_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}
_CALL_SLACK = timedelta(hours=1)  # far beyond any provider call's timeout
_CLOCK_SLACK = timedelta(minutes=1)
_LATEST_MS = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp() * 1000)
