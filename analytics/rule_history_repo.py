"""Stored fraud decisions read back for trying rules: the feature values a rule reads (parsed
from the decision's features JSON by ClickHouse), the order's attributes (from `orders`) and
the confirmed frauds (`fraud_reports`). Every value is a bound parameter.

Decisions are keyset-paginated by (at, order_id); a replayed decision row (the table is a
ReplacingMergeTree) is read once (`LIMIT 1 BY`). An order whose `orders` row has not arrived
yet still gets its amount from the feature row and its recipient kind from rcpt_is_card /
rcpt_is_phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from analytics.clickhouse import ClickHouse
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from detectors.rules.context import ORDER_ATTRIBUTES, OrderAttributes
from detectors.rules.trials import EMPTY_CHUNK, DecisionChunk, HistoryPeriod

_AT = "DateTime64(3, 'UTC')"
# The features every chunk carries besides the rule's own: what attribute fallbacks need.
_ALWAYS = ("amount", "rcpt_is_card", "rcpt_is_phone")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _feature_names(names: frozenset[str]) -> list[str]:
    return sorted((set(names) - set(ORDER_ATTRIBUTES)) | set(_ALWAYS))


class ClickHouseDecisionHistory:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    def _period(self, period: HistoryPeriod) -> tuple[list[str], dict[str, Any]]:
        clauses = [f"at >= {{start:{_AT}}}", f"at < {{end:{_AT}}}"]
        params: dict[str, Any] = {"start": period.start, "end": period.end}
        if period.company_id is not None:
            clauses.append("company_id = {company_id:String}")
            params["company_id"] = period.company_id
        return clauses, params

    async def count(self, period: HistoryPeriod) -> int:
        clauses, params = self._period(period)
        sql = f"SELECT uniqExact(order_id) FROM {self._ch.table('decisions')} WHERE {' AND '.join(clauses)}"
        rows = await self._ch.query(sql, params)
        return int(rows[0][0]) if rows else 0

    async def page(
        self, period: HistoryPeriod, names: frozenset[str], after: tuple[datetime, str] | None, limit: int
    ) -> DecisionChunk:
        """Up to `limit` decisions of the period after `after` (at, order_id), oldest first."""
        clauses, params = self._period(period)
        if after is not None:
            clauses.append(f"(at, order_id) > ({{after_at:{_AT}}}, {{after_id:String}})")
            params.update(after_at=after[0], after_id=after[1])
        params["limit"] = limit
        return await self._chunk(" AND ".join(clauses), params, names, "{limit:UInt32}")

    async def for_orders(self, order_ids: Sequence[str], names: frozenset[str]) -> DecisionChunk:
        """The stored decisions of these orders (those that have one), oldest first."""
        if not order_ids:
            return EMPTY_CHUNK
        params: dict[str, Any] = {"ids": list(order_ids), "limit": len(order_ids)}
        return await self._chunk("order_id IN {ids:Array(String)}", params, names, "{limit:UInt32}")

    async def confirmed_frauds(self, period: HistoryPeriod) -> frozenset[str]:
        """Orders of the period's decisions that a fraud report confirmed."""
        clauses, params = self._period(period)
        sql = (
            f"SELECT DISTINCT order_id FROM {self._ch.table('fraud_reports')} WHERE order_id IN "
            f"(SELECT order_id FROM {self._ch.table('decisions')} WHERE {' AND '.join(clauses)})"
        )
        return frozenset(str(r[0]) for r in await self._ch.query(sql, params))

    async def _chunk(self, where: str, params: dict[str, Any], names: frozenset[str], limit: str) -> DecisionChunk:
        features = _feature_names(names)
        params["names"] = features
        sql = (
            "SELECT order_id, company_id, at, outcome, "
            "arrayMap(n -> JSONExtractFloat(features, n), {names:Array(String)}) "
            f"FROM {self._ch.table('decisions')} WHERE {where} "
            f"ORDER BY at, order_id LIMIT 1 BY order_id LIMIT {limit}"
        )
        rows = await self._ch.query(sql, params)
        if not rows:
            return EMPTY_CHUNK
        attributes = await self._attributes([str(r[0]) for r in rows], min(r[2] for r in rows), max(r[2] for r in rows))
        matrix = np.zeros((len(rows), len(FEATURE_NAMES)))
        columns = [FEATURE_INDEX[n] for n in features]
        matrix[:, columns] = np.asarray([r[4] for r in rows], dtype=np.float64).reshape(len(rows), len(columns))
        out_attributes = tuple(
            _order_attributes(attributes.get(str(r[0])), str(r[1]), matrix[i]) for i, r in enumerate(rows)
        )
        return DecisionChunk(
            tuple(str(r[0]) for r in rows), tuple(_utc(r[2]) for r in rows), tuple(str(r[3]) for r in rows),
            out_attributes, matrix,
        )  # fmt: skip

    async def _attributes(self, order_ids: list[str], first: datetime, last: datetime) -> dict[str, tuple[Any, ...]]:
        # A decision's `at` is its order's created_at: the range narrows the scan to its parts.
        sql = (
            "SELECT order_id, amount_value, currency, recipient_kind, card_bin, product_type, sandbox "
            f"FROM {self._ch.table('orders')} WHERE order_id IN {{ids:Array(String)}} "
            f"AND created_at >= {{first:{_AT}}} AND created_at <= {{last:{_AT}}} LIMIT 1 BY order_id"
        )
        rows = await self._ch.query(sql, {"ids": order_ids, "first": first, "last": last})
        return {str(r[0]): r for r in rows}


def _order_attributes(row: tuple[Any, ...] | None, company_id: str, features: np.ndarray) -> OrderAttributes:
    if row is None:
        is_card, is_phone = features[FEATURE_INDEX["rcpt_is_card"]], features[FEATURE_INDEX["rcpt_is_phone"]]
        kind = "card" if is_card else "phone" if is_phone else "email"
        return OrderAttributes(company_id, int(features[FEATURE_INDEX["amount"]]), "", kind)
    _, amount, currency, recipient_kind, card_bin, product_type, sandbox = row
    return OrderAttributes(
        company_id, int(amount), str(currency), str(recipient_kind), str(card_bin or ""), str(product_type or ""),
        bool(sandbox),
    )  # fmt: skip
