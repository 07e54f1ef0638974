"""Use cases behind the staff report routes: transactions with totals, aggregates,
statements and request-log search. The reads are ports (ClickHouse in production, fakes in
tests); cursors are decoded here, so a cursor this API did not hand out is a 400 problem."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from analytics.reports.aggregates import AggregateRow, GroupBy
from analytics.reports.filters import TransactionFilter
from analytics.reports.request_log import (
    LoggedRequest, RequestLogKey, RequestLogQuery, decode_key as decode_request_key,
    encode_key as encode_request_key,
)  # fmt: skip
from analytics.reports.statements import Statement
from analytics.reports.transactions import (
    Sort, Totals, Transaction, TransactionKey, TransactionPage, decode_key, encode_key,
)  # fmt: skip
from domain.errors import InvalidCommand

MAX_AGGREGATE_RANGE = timedelta(days=400)
MAX_STATEMENT_RANGE = timedelta(days=366)


class TransactionReads(Protocol):
    async def page(
        self, f: TransactionFilter, sort: Sort, after: TransactionKey | None, limit: int
    ) -> TransactionPage: ...

    async def totals(self, f: TransactionFilter) -> Totals: ...


class AggregateReads(Protocol):
    async def aggregate(self, group_by: Sequence[GroupBy], f: TransactionFilter) -> list[AggregateRow]: ...


class StatementReads(Protocol):
    async def statement(
        self, company_id: str, currency: str, period_from: datetime, period_to: datetime
    ) -> Statement: ...


class RequestLogReads(Protocol):
    async def search(
        self, q: RequestLogQuery, after: RequestLogKey | None, limit: int
    ) -> tuple[list[LoggedRequest], RequestLogKey | None]: ...


@dataclass(frozen=True, slots=True)
class TransactionReport:
    items: list[Transaction]
    totals: Totals
    next_cursor: str | None


def _check_range(start: datetime | None, end: datetime | None, longest: timedelta | None = None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidCommand("`to` must be after `from`", "to")
    if longest is not None and start is not None and end is not None and end - start > longest:
        raise InvalidCommand(f"the range may span at most {longest.days} days", "to")


class ReportService:
    def __init__(
        self,
        transactions: TransactionReads,
        aggregates: AggregateReads,
        statements: StatementReads,
        requests: RequestLogReads,
    ) -> None:
        self._transactions = transactions
        self._aggregates = aggregates
        self._statements = statements
        self._requests = requests

    async def transactions(
        self, f: TransactionFilter, sort: Sort, cursor: str | None, limit: int
    ) -> TransactionReport:
        """One page, and the totals of everything the filter matches (all pages)."""
        _check_range(f.created_from, f.created_to)
        if f.amount_min is not None and f.amount_max is not None and f.amount_max < f.amount_min:
            raise InvalidCommand("`amount_max` must not be below `amount_min`", "amount_max")
        after = None if cursor is None else decode_key(sort, cursor)
        # Independent reads, at once: on read lanes (quadra up) the totals of a long or dense
        # range (~200 ms over 10 M orders) no longer wait for the page, nor the page for them.
        page, totals = await asyncio.gather(
            self._transactions.page(f, sort, after, limit), self._transactions.totals(f)
        )
        return TransactionReport(page.items, totals, encode_key(sort, page.next_key))

    async def aggregates(self, group_by: Sequence[GroupBy], f: TransactionFilter) -> list[AggregateRow]:
        if f.created_from is None or f.created_to is None:
            raise InvalidCommand("aggregates need both `from` and `to`", "from" if f.created_from is None else "to")
        _check_range(f.created_from, f.created_to, MAX_AGGREGATE_RANGE)
        if not group_by or len(set(group_by)) != len(group_by):
            raise InvalidCommand("group by one or more distinct groupings", "group_by")
        return await self._aggregates.aggregate(group_by, f)

    async def statement(
        self, company_id: str, currency: str, period_from: datetime, period_to: datetime
    ) -> Statement:
        _check_range(period_from, period_to, MAX_STATEMENT_RANGE)
        return await self._statements.statement(company_id, currency, period_from, period_to)

    async def request_log(
        self, q: RequestLogQuery, cursor: str | None, limit: int
    ) -> tuple[list[LoggedRequest], str | None]:
        _check_range(q.at_from, q.at_to)
        if q.status_min is not None and q.status_max is not None and q.status_max < q.status_min:
            raise InvalidCommand("`status_max` must not be below `status_min`", "status_max")
        after = None if cursor is None else decode_request_key(cursor)
        found, next_key = await self._requests.search(q, after, limit)
        return found, encode_request_key(next_key)
