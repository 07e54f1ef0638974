"""Mass payouts read back from ClickHouse: headers, the tallies of a batch's orders (latest
state) and its lines in line order. Every value is a bound parameter.

A batch's orders are read from `batch_orders` (migration 0012: a copy of the batch orders'
versions sorted by batch and line), `FINAL`, so an order is counted once, at its latest state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.reports.common import utc
from domain.batches import REJECTED_LINE, BatchFormat, BatchHeader, BatchLine, OrderTally
from domain.money import Money
from streams.batch_messages import errors_from_list

_HEADER = (
    "batch_id, company_id, idempotency_key, body_hash, format, reference, sandbox, request_id, "
    "created_at, submitted_at, total_lines, accepted_lines, rejected_lines"
)
_TIME = "DateTime64(3, 'UTC')"


def _header(row: tuple[Any, ...]) -> BatchHeader:
    (batch_id, company_id, key, body_hash, fmt, reference, sandbox, request_id, created_at,
     submitted_at, total, accepted, rejected) = row  # fmt: skip
    return BatchHeader(
        batch_id, company_id, key, body_hash, BatchFormat(fmt), reference or None, bool(sandbox),
        request_id, utc(created_at), int(total), int(accepted), int(rejected),
        utc(submitted_at) if submitted_at is not None else None,
    )  # fmt: skip


class ClickHouseBatches:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def header(self, company_id: str | None, batch_id: str) -> BatchHeader | None:
        """The newest version of one batch (of `company_id`, or of any company for None)."""
        company = "" if company_id is None else "AND company_id = {company_id:String} "
        rows = await self._ch.query(
            f"SELECT {_HEADER} FROM {self._ch.table('batches')} WHERE batch_id = {{batch_id:String}} "
            f"{company}ORDER BY version DESC LIMIT 1",
            {"batch_id": batch_id, "company_id": company_id or ""},
        )
        return _header(rows[0]) if rows else None

    async def headers(
        self, company_id: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[BatchHeader]:
        """Newest first, after the keyset position (created_at, batch_id); up to `limit`."""
        clauses, params = ["1"], {"limit": limit}
        if company_id is not None:
            clauses.append("company_id = {company_id:String}")
            params["company_id"] = company_id
        if after is not None:
            clauses.append(f"(created_at, batch_id) < ({{after_at:{_TIME}}}, {{after_id:String}})")
            params.update(after_at=after[0], after_id=after[1])
        rows = await self._ch.query(
            f"SELECT {_HEADER} FROM {self._ch.table('batches')} FINAL WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC, batch_id DESC LIMIT {limit:UInt32}",
            params,
        )
        return [_header(r) for r in rows]

    async def tallies(self, batches: Sequence[tuple[str, str]]) -> dict[str, list[OrderTally]]:
        """Per batch id of the (company id, batch id) pairs: its orders by status and currency,
        in one query (a page of batches reads its progress at once)."""
        if not batches:
            return {}
        owner = dict((batch_id, company_id) for company_id, batch_id in batches)
        rows = await self._ch.query(
            "SELECT batch_id, company_id, status, currency, count(), sum(amount_value), sum(fee_value), "
            f"max(updated_at) FROM {self._ch.table('batch_orders')} FINAL "
            "WHERE batch_id IN {batch_ids:Array(String)} GROUP BY batch_id, company_id, status, currency",
            {"batch_ids": list(owner)},
        )
        found: dict[str, list[OrderTally]] = {batch_id: [] for batch_id in owner}
        for batch_id, company_id, s, c, n, a, f, at in rows:
            if owner.get(batch_id) == company_id:  # an id is a company's own: never count another's
                found[batch_id].append(OrderTally(s, c, int(n), int(a), int(f), utc(at)))
        return found

    async def order_lines(
        self, company_id: str, batch_id: str, first: int, last: int, status: str | None, limit: int
    ) -> list[BatchLine]:
        """Lines `first`..`last` that became orders (of `status`, if given), in line order."""
        only = "" if status is None else "AND status = {status:String} "
        rows = await self._ch.query(
            "SELECT batch_line, external_id, status, order_id, amount_value, currency, status_reason "
            f"FROM {self._ch.table('batch_orders')} FINAL "
            "WHERE batch_id = {batch_id:String} AND company_id = {company_id:String} "
            f"AND batch_line BETWEEN {{first:UInt32}} AND {{last:UInt32}} {only}"
            "ORDER BY batch_line LIMIT {limit:UInt32}",
            {"batch_id": batch_id, "company_id": company_id, "first": first, "last": last,
             "status": status or "", "limit": limit},  # fmt: skip
        )
        return [
            BatchLine(int(line), status, external or None, order_id, Money(int(value), currency), reason)
            for line, external, status, order_id, value, currency, reason in rows
        ]

    async def rejected_lines(
        self, company_id: str, batch_id: str, first: int, last: int, limit: int
    ) -> list[BatchLine]:
        rows = await self._ch.query(
            f"SELECT line, external_id, errors FROM {self._ch.table('batch_rejected_lines')} FINAL "
            "WHERE batch_id = {batch_id:String} AND company_id = {company_id:String} "
            "AND line BETWEEN {first:UInt32} AND {last:UInt32} ORDER BY line LIMIT {limit:UInt32}",
            {"batch_id": batch_id, "company_id": company_id, "first": first, "last": last, "limit": limit},
        )
        return [
            BatchLine(int(line), REJECTED_LINE, external or None, errors=errors_from_list(orjson.loads(errors)))
            for line, external, errors in rows
        ]
