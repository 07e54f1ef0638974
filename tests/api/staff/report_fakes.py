"""A fake of the report reads (all four ports in one): canned answers, every call recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.reports.aggregates import AggregateRow, GroupBy
from analytics.reports.filters import TransactionFilter
from analytics.reports.request_log import LoggedRequest, RequestLogKey, RequestLogQuery
from analytics.reports.statements import Balance, Movement, Statement
from analytics.reports.transactions import (
    CurrencyTotals, Sort, Totals, Transaction, TransactionKey, TransactionPage,
)  # fmt: skip

T0 = datetime.fromisoformat("2026-11-26T12:00:00+00:00")


def transaction(n: int, **changes: Any) -> Transaction:
    values: dict[str, Any] = dict(
        order_id=f"ord_{n:032x}", company_id="cmp_seeded", product_id="card-transfer-eur",
        product_type="card_transfer", provider="bank_a", amount_value=1000 + n, fee_value=10,
        currency="EUR", status="completed", status_reason="", recipient_kind="card", card_bin="411111",
        card_last4="1111", end_user_id="user-1", external_id="", sandbox=True, created_at=T0,
        updated_at=T0, version=3,
    )  # fmt: skip
    values.update(changes)
    return Transaction(**values)


@dataclass
class FakeReports:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=lambda: [transaction(n) for n in range(3)])

    async def page(
        self, f: TransactionFilter, sort: Sort, after: TransactionKey | None, limit: int
    ) -> TransactionPage:
        self.calls.append(("page", (f, sort, after, limit)))
        start = 0 if after is None else next(
            i + 1 for i, t in enumerate(self.transactions) if t.order_id == after.order_id
        )
        items = self.transactions[start:start + limit]
        more = start + limit < len(self.transactions)
        return TransactionPage(items, items[-1].key(sort) if more else None)

    async def totals(self, f: TransactionFilter) -> Totals:
        self.calls.append(("totals", f))
        amount = sum(t.amount_value for t in self.transactions)
        return Totals(len(self.transactions), [CurrencyTotals("EUR", len(self.transactions), amount, 30)])

    async def aggregate(self, group_by: Sequence[GroupBy], f: TransactionFilter) -> list[AggregateRow]:
        self.calls.append(("aggregate", (list(group_by), f)))
        return [AggregateRow(tuple(f"k{i}" for i in range(len(group_by))), "EUR", 2, 2000, 20)]

    async def statement(
        self, company_id: str, currency: str, period_from: datetime, period_to: datetime
    ) -> Statement:
        self.calls.append(("statement", (company_id, currency, period_from, period_to)))
        movements = (
            Movement("capture", 1, 1000, 0, -1000), Movement("reserve", 1, 1000, -1000, 1000),
            Movement("top_up", 1, 5000, 5000, 0),
        )
        return Statement(company_id, currency, period_from, period_to, Balance(100, 0), movements, Balance(4100, 0))

    async def search(
        self, q: RequestLogQuery, after: RequestLogKey | None, limit: int
    ) -> tuple[list[LoggedRequest], RequestLogKey | None]:
        self.calls.append(("search", (q, after, limit)))
        row = LoggedRequest(
            "req1", "inbound", T0, "cmp_seeded", "POST", "/v1/orders", "", 201, 12, "203.0.113.7",
            "corr-1", "idem-1", "{}", "{}", "{}", "",
        )  # fmt: skip
        return [row], RequestLogKey(T0, "req1")
