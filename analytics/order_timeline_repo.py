"""One order's rows across the tables, for its staff timeline: the latest state, status
events, the partner's creating request and the provider calls (request_log), and ledger
entries. Decisions, case events and webhook deliveries have their own repositories.

Each read is narrowed by what the order fixes: its company (first in every sort key) and its
creation time (nothing about it happened before), so none scans other companies or older
partitions; the bloom filters on order_id / correlation_id skip the rest. Bound parameters only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.reports.common import utc
from analytics.reports.request_log import LOGGED_COLUMNS, LoggedRequest, logged_from_row
from analytics.reports.transactions import TRANSACTION_COLUMNS, Transaction, transaction_from_row
from domain.order_timeline import LedgerEntryView, StatusEventView

MAX_ROWS = 500  # per source: an order has a handful; a runaway retry loop must not flood the page
_AT = "DateTime64(3, 'UTC')"
# The partner's request was logged as it came in; the order is stamped with that moment.
_REQUEST_SLACK = timedelta(minutes=5)


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
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def order(self, order_id: str) -> StoredOrder | None:
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

    async def status_events(self, order: StoredOrder) -> list[StatusEventView]:
        rows = await self._ch.query(
            "SELECT event_id, sequence, status, reason, at, amount_value, currency "
            f"FROM {self._ch.table('order_events')} FINAL "
            f"WHERE company_id = {{company_id:String}} AND at >= {{since:{_AT}}} AND order_id = {{order_id:String}} "
            "ORDER BY sequence, at, event_id LIMIT {limit:UInt32}",
            self._params(order),
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
        rows = await self._ch.query(
            f"SELECT {LOGGED_COLUMNS} FROM ("
            f" SELECT {LOGGED_COLUMNS} FROM {table} FINAL"
            f" WHERE company_id = {{company_id:String}} AND at >= {{request_from:{_AT}}}"
            f" AND at < {{request_to:{_AT}}} AND direction = 'inbound' AND request_id = {{request_id:String}}"
            " UNION ALL"
            f" SELECT {LOGGED_COLUMNS} FROM {table} FINAL"
            f" WHERE company_id = {{company_id:String}} AND at >= {{since:{_AT}}}"
            " AND correlation_id = {order_id:String} AND direction = 'outbound'"
            ") ORDER BY at, request_id LIMIT {limit:UInt32}",
            params,
        )
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
