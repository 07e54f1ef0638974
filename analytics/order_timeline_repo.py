"""One order's rows across the tables, for its staff timeline: the latest state, status
events, the partner's creating request and the provider calls (request_log), and ledger
entries. Decisions, case events and webhook deliveries have their own repositories.

Each read is narrowed by what the order fixes: its company (first in every sort key) and its
creation time (nothing about it happened before), so none scans other companies or older
partitions; the bloom filters on order_id / correlation_id skip the rest. Bound parameters only.

The order itself is found by its id alone, which holds the millisecond its request was made
(`request_time_ms`): the order was created then (a few ms later), so `orders_by_time` (sorted by
creation time) names its company and creation time in a granule, and those find it in `orders`
(sorted by company and time) in another; an order stored outside that window (none is written
so) is still found, by the id alone. FINAL reads filter on sort-key columns in PREWHERE: every
copy of a row has the same key, so dropping rows before the merge keeps exactly the rows FINAL
would (and skips reading every column of the granules around them: 5-10x faster on 10 M orders).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from analytics.clickhouse import Reads
from analytics.reports.common import utc
from analytics.reports.filters import FINAL_SETTINGS
from analytics.reports.request_log import LOGGED_COLUMNS, LoggedRequest, logged_from_row
from analytics.reports.transactions import TRANSACTION_COLUMNS, Transaction, transaction_from_row
from domain.order_timeline import LedgerEntryView, StatusEventView, request_time_ms

MAX_ROWS = 500  # per source: an order has a handful; a runaway retry loop must not flood the page
_AT = "DateTime64(3, 'UTC')"
# The partner's request was logged as it came in; the order is stamped with that moment.
_REQUEST_SLACK = timedelta(minutes=5)
# Where the order's creation time is looked for, around the time its id holds: created a few ms
# after its id was made (api/middleware.py, api/batch_service.py); wide for clock steps.
_CREATED_BEFORE_ID = timedelta(minutes=5)
_CREATED_AFTER_ID = timedelta(hours=1)
_LATEST_MS = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp() * 1000)  # the columns' range ends before


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order's latest state as stored, with what the transactions report leaves out."""

    transaction: Transaction
    idempotency_key: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def order_id(self) -> str:
        return self.transaction.order_id

    @property
    def company_id(self) -> str:
        return self.transaction.company_id

    @property
    def created_at(self) -> datetime:
        return self.transaction.created_at


def _metadata(snapshot: str) -> dict[str, Any]:
    try:
        loaded = orjson.loads(snapshot or "{}")
    except orjson.JSONDecodeError:
        return {}
    metadata = loaded.get("metadata") if isinstance(loaded, dict) else None
    return dict(metadata) if isinstance(metadata, dict) else {}


class ClickHouseOrderTimeline:
    def __init__(self, clickhouse: Reads) -> None:
        self._ch = clickhouse

    async def order(self, order_id: str) -> StoredOrder | None:
        made_ms = request_time_ms(order_id.removeprefix("ord_")) if order_id.startswith("ord_") else None
        rows: list[tuple[Any, ...]] = []
        if made_ms is not None and made_ms < _LATEST_MS:
            rows = await self._by_key(order_id, datetime.fromtimestamp(made_ms / 1000, UTC))
        if not rows:
            # Newest version without FINAL: exact for one key (the order_id bloom filter skips the rest).
            rows = await self._ch.query(
                f"SELECT {TRANSACTION_COLUMNS}, idempotency_key, snapshot FROM {self._ch.table('orders')} "
                "WHERE order_id = {order_id:String} ORDER BY version DESC LIMIT 1",
                {"order_id": order_id},
            )
        if not rows:
            return None
        *columns, idempotency_key, snapshot = rows[0]
        return StoredOrder(transaction_from_row(tuple(columns)), str(idempotency_key), _metadata(snapshot))

    async def _by_key(self, order_id: str, made: datetime) -> list[tuple[Any, ...]]:
        """The newest version of the order created around `made`, by its sort key: every version
        has the same company and creation time (its key in both tables); [] when none is there."""
        keys = await self._ch.query(
            f"SELECT company_id, created_at FROM {self._ch.table('orders_by_time')} "
            f"PREWHERE created_at >= {{created_from:{_AT}}} AND created_at < {{created_to:{_AT}}} "
            "AND order_id = {order_id:String} LIMIT 1",
            {"order_id": order_id, "created_from": made - _CREATED_BEFORE_ID, "created_to": made + _CREATED_AFTER_ID},
        )
        if not keys:
            return []
        company_id, created_at = keys[0]
        return await self._ch.query(
            f"SELECT {TRANSACTION_COLUMNS}, idempotency_key, snapshot FROM {self._ch.table('orders')} "
            f"PREWHERE company_id = {{company_id:String}} AND created_at = {{created_at:{_AT}}} "
            "AND order_id = {order_id:String} ORDER BY version DESC LIMIT 1",
            {"order_id": order_id, "company_id": company_id, "created_at": utc(created_at)},
        )

    async def status_events(self, order: StoredOrder) -> list[StatusEventView]:
        rows = await self._ch.query(
            "SELECT event_id, sequence, status, reason, at, amount_value, currency "
            f"FROM {self._ch.table('order_events')} FINAL "
            f"PREWHERE company_id = {{company_id:String}} AND at >= {{since:{_AT}}} WHERE order_id = {{order_id:String}} "
            "ORDER BY sequence, at, event_id LIMIT {limit:UInt32}",
            self._params(order), FINAL_SETTINGS,
        )
        return [
            StatusEventView(str(e), int(seq), str(s), str(r), utc(at), int(amount), str(cur))
            for e, seq, s, r, at, amount, cur in rows
        ]

    async def exchanges(self, order: StoredOrder) -> list[LoggedRequest]:
        """The partner's request that created the order (its request id is the order id's
        suffix: `order_id_for`) and every provider call made for it, oldest first."""
        table = self._ch.table("request_log")
        params = {**self._params(order), "request_id": order.order_id.removeprefix("ord_"),
                  "request_from": order.created_at - _REQUEST_SLACK, "request_to": order.created_at + _REQUEST_SLACK}  # fmt: skip
        # Two reads awaited together (on read lanes, at once): one UNION ALL with the ORDER BY
        # reads both FINAL parts in order, 2-3x slower than the two alone on 10 M rows.
        partner, calls = await asyncio.gather(
            self._ch.query(
                f"SELECT {LOGGED_COLUMNS} FROM {table} FINAL"
                f" PREWHERE company_id = {{company_id:String}} AND at >= {{request_from:{_AT}}}"
                f" AND at < {{request_to:{_AT}}} AND request_id = {{request_id:String}} WHERE direction = 'inbound'"
                " ORDER BY at, request_id LIMIT {limit:UInt32}",
                params, FINAL_SETTINGS,
            ),
            self._ch.query(
                f"SELECT {LOGGED_COLUMNS} FROM {table} FINAL"
                f" PREWHERE company_id = {{company_id:String}} AND at >= {{since:{_AT}}}"
                " WHERE correlation_id = {order_id:String} AND direction = 'outbound'"
                " ORDER BY at, request_id LIMIT {limit:UInt32}",
                params, FINAL_SETTINGS,
            ),
        )
        rows = sorted([*partner, *calls], key=lambda r: (utc(r[2]), r[0]))[:MAX_ROWS]
        return [logged_from_row(r) for r in rows]

    async def ledger_entries(self, order: StoredOrder) -> list[LedgerEntryView]:
        rows = await self._ch.query(
            "SELECT entry_id, kind, amount, currency, source, target, at, command_id, reason, actor, "
            f"available_after, reserved_after FROM {self._ch.table('ledger_entries')} FINAL "
            f"WHERE company_id = {{company_id:String}} AND at >= {{since:{_AT}}} AND order_id = {{order_id:String}} "
            "ORDER BY at, entry_id LIMIT {limit:UInt32}",
            self._params(order),
        )
        return [
            LedgerEntryView(str(e), str(k), int(a), str(c), str(s), str(t), utc(at), str(cmd), str(r), str(actor),
                            int(avail), int(res))  # fmt: skip
            for e, k, a, c, s, t, at, cmd, r, actor, avail, res in rows
        ]

    @staticmethod
    def _params(order: StoredOrder) -> dict[str, Any]:
        # A minute before creation: API nodes' clocks may trail the intake's by a moment.
        return {"company_id": order.company_id, "order_id": order.order_id,
                "since": order.created_at - timedelta(minutes=1), "limit": MAX_ROWS}  # fmt: skip
