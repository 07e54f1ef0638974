"""Fraud review reads from ClickHouse: the review queue (orders whose latest state is
`in_review`, oldest first, with their decisions and case assignees), stored decisions, rule
hit counts, and the order a review command is about. Every value is a bound parameter.

The queue reads `held_orders` (migration 0011: every order ever held, each version from the
hold on), not `orders FINAL` (2-3 s on 10 M orders); a queued order's decision is found by its
key, which is the order's (a decision's `at` is its order's created_at)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from analytics.clickhouse import Reads
from analytics.reports.common import check_limit, utc
from analytics.reports.cursor import cursor_datetime, cursor_str, decode_cursor, encode_cursor
from analytics.reports.filters import FINAL_SETTINGS
from domain.errors import InvalidCursor
from analytics.rule_stats import rule_stats
from domain.fraud_views import DecisionView, OrderRef, QueueKey, QueueQuery, QueuedOrder, RuleStats

_DECISION = (
    "order_id, company_id, at, outcome, score, points, fired_rules, shadow_rules, reasons, model, "
    "top_features, features"
)
_QUEUED = (
    "order_id, company_id, created_at, amount_value, currency, product_id, end_user_id, external_id, "
    "status_reason"
)
_AT = "DateTime64(3, 'UTC')"


def encode_queue_key(key: QueueKey | None) -> str | None:
    return None if key is None else encode_cursor("fraud-queue", [key.created_at, key.order_id])


def decode_queue_key(token: str) -> QueueKey:
    values = decode_cursor("fraud-queue", token)
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return QueueKey(cursor_datetime(values[0]), cursor_str(values[1]))


def _features(raw: str) -> dict[str, float]:
    try:
        loaded = orjson.loads(raw or "{}")
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): float(v) for k, v in loaded.items() if isinstance(v, int | float)}


def _decision(row: Sequence[Any]) -> DecisionView:
    order_id, company_id, at, outcome, score, points, fired, shadow, reasons, model, top, features = row
    return DecisionView(
        order_id, company_id, utc(at), outcome, None if score < 0 else float(score), int(points),
        tuple(fired), tuple(shadow), tuple(reasons), model, tuple(top), _features(features),
    )  # fmt: skip


def _queued(row: Sequence[Any]) -> QueuedOrder:
    order_id, company_id, created_at, amount, currency, product_id, end_user, external_id, reason = row
    return QueuedOrder(order_id, company_id, utc(created_at), int(amount), currency, product_id, end_user,
                       external_id, reason)  # fmt: skip


class ClickHouseFraudReads:
    def __init__(self, clickhouse: Reads) -> None:
        self._ch = clickhouse

    def _assignees_sql(self) -> str:
        """(case_order, assignee) of every order case whose latest assignment names someone.
        No FINAL: a replayed event is the same row (its id says what it is), so duplicates
        change neither any() nor argMax()."""
        return (
            f"SELECT any(order_id) AS case_order, argMax(text, (at, event_id)) AS assignee "
            f"FROM {self._ch.table('fraud_case_events')} "
            "WHERE kind = 'assigned' AND order_id != '' GROUP BY case_id"
        )

    async def queue(
        self, q: QueueQuery, after: QueueKey | None, limit: int
    ) -> tuple[list[QueuedOrder], QueueKey | None]:
        """Orders whose latest state is in_review, oldest first; the key is set when there may
        be more."""
        check_limit(limit)
        # Conditions on what no version of an order changes run before FINAL (PREWHERE).
        fixed: list[str] = []
        params: dict[str, Any] = {"limit": limit + 1}
        if q.company_id is not None:
            fixed.append("company_id = {company_id:String}")
            params["company_id"] = q.company_id
        if q.assignee is not None:
            fixed.append(f"order_id IN (SELECT case_order FROM ({self._assignees_sql()}) "
                         "WHERE assignee = {assignee:String})")  # fmt: skip
            params["assignee"] = q.assignee
        if after is not None:
            fixed.append(f"created_at >= {{after_at:{_AT}}} AND "
                         f"(created_at, order_id) > ({{after_at:{_AT}}}, {{after_id:String}})")  # fmt: skip
            params.update(after_at=after.created_at, after_id=after.order_id)
        prewhere = f"PREWHERE {' AND '.join(fixed)} " if fixed else ""
        rows = await self._ch.query(
            f"SELECT {_QUEUED} FROM {self._ch.table('held_orders')} FINAL {prewhere}WHERE status = 'in_review' "
            "ORDER BY created_at, order_id LIMIT {limit:UInt32}",
            params,
            FINAL_SETTINGS,
        )
        found = [_queued(r) for r in rows[:limit]]
        return found, (found[-1].key if len(rows) > limit else None)

    async def decisions(self, order_ids: Sequence[str]) -> dict[str, DecisionView]:
        if not order_ids:
            return {}
        rows = await self._ch.query(
            f"SELECT {_DECISION} FROM {self._ch.table('decisions')} FINAL "
            "WHERE order_id IN {order_ids:Array(String)}",
            {"order_ids": list(order_ids)},
        )
        return {d.order_id: d for d in map(_decision, rows)}

    async def decisions_of(self, orders: Sequence[QueuedOrder]) -> dict[str, DecisionView]:
        """The decisions of queued orders, by key: the fraud check stamps a decision with its
        order's company and created_at (streams/fraud_messages.encode_decision), so the sort
        key (company_id, at, order_id) finds each in a granule; by id alone, the bloom filter
        still reads a granule group per id everywhere (~0.8 s for a page on 10 M decisions)."""
        if not orders:
            return {}
        rows = await self._ch.query(
            f"SELECT {_DECISION} FROM {self._ch.table('decisions')} FINAL "
            f"PREWHERE company_id IN {{companies:Array(String)}} AND at IN {{ats:Array({_AT})}} "
            "AND order_id IN {order_ids:Array(String)}",
            {"companies": sorted({o.company_id for o in orders}), "ats": [o.created_at for o in orders],
             "order_ids": [o.order_id for o in orders]},  # fmt: skip
            FINAL_SETTINGS,
        )
        return {d.order_id: d for d in map(_decision, rows)}

    async def decision(self, order_id: str) -> DecisionView | None:
        found = await self.decisions([order_id])
        return found.get(order_id)

    async def decision_of(self, company_id: str, order_id: str, created_at: datetime) -> DecisionView | None:
        """A stored order's decision, by its key (as `decisions_of`): a granule, where the id's
        bloom filter reads a granule group in every partition (~20 ms on 10 M decisions)."""
        rows = await self._ch.query(
            f"SELECT {_DECISION} FROM {self._ch.table('decisions')} FINAL "
            f"PREWHERE company_id = {{company_id:String}} AND at = {{at:{_AT}}} AND order_id = {{order_id:String}}",
            {"company_id": company_id, "at": created_at, "order_id": order_id},
            FINAL_SETTINGS,
        )
        return _decision(rows[0]) if rows else None

    async def assignees(self, order_ids: Sequence[str]) -> dict[str, str]:
        if not order_ids:
            return {}
        rows = await self._ch.query(
            f"SELECT case_order, assignee FROM ({self._assignees_sql()}) "
            "WHERE case_order IN {order_ids:Array(String)}",
            {"order_ids": list(order_ids)},
        )
        return {str(order_id): str(assignee) for order_id, assignee in rows}

    async def order_ref(self, order_id: str) -> OrderRef | None:
        # Newest version without FINAL: exact for one key (the order_id bloom filter skips the rest).
        rows = await self._ch.query(
            f"SELECT order_id, company_id, idempotency_key, status FROM {self._ch.table('orders')} "
            "WHERE order_id = {order_id:String} ORDER BY version DESC LIMIT 1",
            {"order_id": order_id},
        )
        return OrderRef(*(str(v) for v in rows[0])) if rows else None

    async def rule_stats(self, at_from: datetime, at_to: datetime, company_id: str | None) -> RuleStats:
        """Hits per rule (enforced and shadow) of the decisions made in [from, to)."""
        return await rule_stats(self._ch, at_from, at_to, company_id)
