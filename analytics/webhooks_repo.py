"""The webhook delivery log read back from ClickHouse: filtered, keyset-paginated listings,
one delivery with its attempts, and the deliveries of a time range (for staff replays)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from domain.webhook_log import AttemptView, DeliveryCursor, DeliveryQuery, DeliveryView
from domain.webhooks import DeliveryStatus, WebhookEventType, WebhookMessage

_DELIVERY = (
    "message_id, company_id, event_type, occurred_at, body, lane, position, status, attempts, "
    "round, enqueued_at, last_attempt_at, last_response_status, last_error, next_attempt_at, url"
)
_ATTEMPT = "attempt_id, round, attempt, status, at, url, response_status, duration_ms, error"


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # the columns are UTC; some clients drop the zone
    return value


def _delivery(row: tuple[Any, ...]) -> DeliveryView:
    (message_id, company_id, event_type, occurred_at, body, lane, position, status, attempts,
     round_id, enqueued_at, last_attempt_at, last_status, last_error, next_at, url) = row  # fmt: skip
    message = WebhookMessage(
        message_id, company_id, WebhookEventType(event_type), _utc(occurred_at), body, lane, int(position)
    )
    return DeliveryView(
        message, DeliveryStatus(status), int(attempts), round_id, _utc(enqueued_at), _utc(last_attempt_at),
        int(last_status), last_error, _utc(next_at), url,
    )  # fmt: skip


class ClickHouseWebhookLog:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    def _where(self, query: DeliveryQuery, after: DeliveryCursor | None) -> tuple[str, dict[str, Any]]:
        clauses, params = ["1"], {}
        if query.company_id is not None:
            clauses.append("company_id = {company_id:String}")
            params["company_id"] = query.company_id
        if query.status is not None:
            clauses.append("status = {status:String}")
            params["status"] = query.status.value
        if query.occurred_from is not None:
            clauses.append("occurred_at >= {occurred_from:DateTime64(3, 'UTC')}")
            params["occurred_from"] = query.occurred_from
        if query.occurred_to is not None:
            clauses.append("occurred_at < {occurred_to:DateTime64(3, 'UTC')}")
            params["occurred_to"] = query.occurred_to
        if after is not None:
            clauses.append(
                "(occurred_at, message_id) < ({after_at:DateTime64(3, 'UTC')}, {after_id:String})"
            )
            params.update(after_at=after.occurred_at, after_id=after.message_id)
        return " AND ".join(clauses), params

    async def page(
        self, query: DeliveryQuery, after: DeliveryCursor | None, limit: int
    ) -> tuple[list[DeliveryView], DeliveryCursor | None]:
        """Newest first; the cursor is set when there may be more."""
        where, params = self._where(query, after)
        rows = await self._ch.query(
            f"SELECT {_DELIVERY} FROM {self._ch.table('webhook_deliveries')} FINAL WHERE {where} "
            "ORDER BY occurred_at DESC, message_id DESC LIMIT {limit:UInt32}",
            {**params, "limit": limit + 1},
        )
        views = [_delivery(r) for r in rows[:limit]]
        return views, (views[-1].cursor if len(rows) > limit else None)

    async def get(self, message_id: str) -> DeliveryView | None:
        rows = await self._ch.query(
            f"SELECT {_DELIVERY} FROM {self._ch.table('webhook_deliveries')} FINAL "
            "WHERE message_id = {message_id:String} LIMIT 1",
            {"message_id": message_id},
        )
        return _delivery(rows[0]) if rows else None

    async def for_lane(self, company_id: str, lane: str, since: datetime, limit: int = 100) -> list[DeliveryView]:
        """The deliveries of one lane (an order's messages), oldest event first; `since`: no
        event of the lane occurred before it (the order's creation), which narrows the read."""
        rows = await self._ch.query(
            f"SELECT {_DELIVERY} FROM {self._ch.table('webhook_deliveries')} FINAL "
            "WHERE company_id = {company_id:String} AND occurred_at >= {since:DateTime64(3, 'UTC')} "
            "AND lane = {lane:String} ORDER BY occurred_at, position, message_id LIMIT {limit:UInt32}",
            {"company_id": company_id, "since": since, "lane": lane, "limit": limit},
        )
        return [_delivery(r) for r in rows]

    async def attempts(self, company_id: str, message_id: str) -> list[AttemptView]:
        rows = await self._ch.query(
            f"SELECT {_ATTEMPT} FROM {self._ch.table('webhook_attempts')} FINAL "
            "WHERE company_id = {company_id:String} AND message_id = {message_id:String} "
            "ORDER BY at, attempt",
            {"company_id": company_id, "message_id": message_id},
        )
        return [
            AttemptView(a, r, int(n), DeliveryStatus(s), _utc(at), url, int(code), int(ms), err)
            for a, r, n, s, at, url, code, ms, err in rows
        ]

    async def count(self, query: DeliveryQuery) -> int:
        where, params = self._where(query, None)
        rows = await self._ch.query(
            f"SELECT count() FROM {self._ch.table('webhook_deliveries')} FINAL WHERE {where}", params
        )
        return int(rows[0][0])
