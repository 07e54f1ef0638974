"""Order reads from ClickHouse, for orders older than what the API nodes keep in memory."""

from __future__ import annotations

import orjson

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter
from analytics.reports.transactions import ClickHouseTransactions, Sort, TransactionKey
from domain.orders import Order
from streams.messages import order_from_dict


class ClickHouseOrderReader:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def find(self, company_id: str, order_id: str) -> Order | None:
        # Newest version without FINAL: cheaper, and exact for a single key.
        rows = await self._ch.query(
            f"SELECT snapshot FROM {self._ch.table('orders')} "
            "WHERE company_id = {company_id:String} AND order_id = {order_id:String} "
            "ORDER BY version DESC LIMIT 1",
            {"company_id": company_id, "order_id": order_id},
        )
        return order_from_dict(orjson.loads(rows[0][0])) if rows else None

    async def page(
        self, f: TransactionFilter, after: TransactionKey | None, limit: int
    ) -> tuple[list[Order], TransactionKey | None]:
        """Orders (latest state) matching `f`, newest first: the transactions report's query,
        read back whole from the stored snapshots."""
        snapshots, next_key = await ClickHouseTransactions(self._ch).snapshots(f, Sort(), after, limit)
        return [order_from_dict(orjson.loads(s)) for s in snapshots], next_key
