"""What reports_bench times: the real report functions, or stand-in SQL of the same shape."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter, where_clause


class Reports:
    """What the bench times. `kind` says which implementation answers."""

    kind = "?"

    def page(self, f: TransactionFilter, after: Any = None) -> Awaitable[Any]: ...
    # live: the FINAL-only answer, never the daily rollups (the stand-ins have none).
    def totals(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]: ...
    def daily_by_company(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]: ...
    def statement(self, company_id: str, currency: str, start: datetime, end: datetime,
                  live: bool = False) -> Awaitable[Any]: ...  # fmt: skip
    def last_key(self, page: Any) -> Any: ...


class RealReports(Reports):
    kind = "analytics.reports (ClickHouseTransactions.page/totals, aggregate_orders, ClickHouseStatements.statement)"

    def __init__(self, ch: ClickHouse) -> None:
        from analytics.reports.aggregates import GroupBy, aggregate_orders
        from analytics.reports.statements import ClickHouseStatements
        from analytics.reports.transactions import ClickHouseTransactions

        self._tx = ClickHouseTransactions(ch)
        self._st = ClickHouseStatements(ch)
        self._ch = ch
        self._agg = aggregate_orders
        self._by = [GroupBy.DAY, GroupBy.COMPANY]

    def page(self, f: TransactionFilter, after: Any = None) -> Awaitable[Any]:
        return self._tx.page(f, after=after, limit=50)

    def last_key(self, page: Any) -> Any:
        return page.next_key

    def totals(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]:
        return self._tx.totals(f, live=live)

    def daily_by_company(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]:
        return self._agg(self._ch, self._by, f, live=live)

    def statement(
        self, company_id: str, currency: str, start: datetime, end: datetime, live: bool = False
    ) -> Awaitable[Any]:
        return self._st.statement(company_id, currency, start, end, live=live)


class StandInReports(Reports):
    """STAND-IN SQL (used with --stand-ins or when analytics/reports/*.py is missing): the same
    shape as the report functions: FINAL, ORDER BY created_at DESC, order_id DESC, LIMIT 51."""

    kind = "STAND-IN SQL in bench/reports_bench.py"

    def __init__(self, ch: ClickHouse) -> None:
        self._ch = ch

    def page(self, f: TransactionFilter, after: Any = None) -> Awaitable[Any]:
        w = where_clause(f)
        sql, params = w.sql, dict(w.parameters)
        if after is not None:
            cond = ("created_at <= {av:DateTime64(3, 'UTC')} AND "
                    "(created_at, order_id) < ({av:DateTime64(3, 'UTC')}, {ai:String})")  # fmt: skip
            sql = f"{sql} AND {cond}" if sql else f"WHERE {cond}"
            params |= {"av": after[0], "ai": after[1]}
        return self._ch.query(
            "SELECT order_id, company_id, product_id, product_type, provider, amount_value, "
            "fee_value, currency, status, status_reason, recipient_kind, card_bin, card_last4, "
            "end_user_id, external_id, sandbox, created_at, updated_at, version "
            f"FROM {self._ch.table('orders')} FINAL {sql} "
            "ORDER BY created_at DESC, order_id DESC LIMIT 51",
            params,
        )

    def last_key(self, page: Any) -> Any:
        return (page[49][16], page[49][0]) if len(page) > 50 else None

    def totals(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]:
        w = where_clause(f)
        return self._ch.query(
            "SELECT currency, count(), sum(amount_value), sum(fee_value) "
            f"FROM {self._ch.table('orders')} FINAL {w.sql} GROUP BY currency", w.parameters
        )

    def daily_by_company(self, f: TransactionFilter, live: bool = False) -> Awaitable[Any]:
        w = where_clause(f)
        return self._ch.query(
            "SELECT toString(toDate(created_at)) AS d, company_id, currency, count(), "
            f"sum(amount_value), sum(fee_value) FROM {self._ch.table('orders')} FINAL {w.sql} "
            "GROUP BY d, company_id, currency ORDER BY d, company_id, currency",
            w.parameters,
        )

    async def statement(
        self, company_id: str, currency: str, start: datetime, end: datetime, live: bool = False
    ) -> Any:
        t = self._ch.table("ledger_entries")
        p = {"c": company_id, "cur": currency, "f": start, "t": end}
        scope = "company_id = {c:String} AND currency = {cur:String}"
        balance = (f"SELECT available_after, reserved_after FROM {t} FINAL WHERE {scope} "
                   "AND at < {%s:DateTime64(3, 'UTC')} ORDER BY at DESC, entry_id DESC LIMIT 1")  # fmt: skip
        opening = await self._ch.query(balance % "f", p)
        moves = await self._ch.query(
            f"SELECT kind, count(), sum(amount) FROM {t} FINAL WHERE {scope} "
            "AND at >= {f:DateTime64(3, 'UTC')} AND at < {t:DateTime64(3, 'UTC')} GROUP BY kind",
            p,
        )
        closing = await self._ch.query(balance % "t", p)
        return opening, moves, closing


def reports_for(ch: ClickHouse, stand_ins: bool) -> Reports:
    if not stand_ins:
        try:
            return RealReports(ch)
        except ImportError as e:
            print(f"report functions not importable ({e}); using the stand-in SQL")
    return StandInReports(ch)
