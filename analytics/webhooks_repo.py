"""The webhook delivery log read back from ClickHouse: filtered, keyset-paginated listings,
one delivery with its attempts, and the deliveries of a time range (for staff replays)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analytics.clickhouse import Reads
from analytics.reports.filters import FINAL_SETTINGS
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
    def __init__(self, clickhouse: Reads) -> None:
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
            "PREWHERE company_id = {company_id:String} AND occurred_at >= {since:DateTime64(3, 'UTC')} "
            "WHERE lane = {lane:String} ORDER BY occurred_at, position, message_id LIMIT {limit:UInt32}",
            {"company_id": company_id, "since": since, "lane": lane, "limit": limit},
            FINAL_SETTINGS,
        )
        return [_delivery(r) for r in rows]

    async def attempts(self, company_id: str, message_id: str) -> list[AttemptView]:
        return (await self.attempts_of(company_id, [message_id])).get(message_id, [])

    async def attempts_of(
        self, company_id: str, message_ids: Sequence[str], since: datetime | None = None
    ) -> dict[str, list[AttemptView]]:
        """Each message's attempts, oldest first, in one read; `since`: none of the messages'
        events occurred before it (an attempt's `occurred_at` is its message's), which skips
        older partitions. The key columns filter before FINAL (every copy of an attempt has
        its key and its message's occurred_at): exact, without merging the granules' other
        attempts (~150 ms to ~10 ms on 10 M attempts)."""
        if not message_ids:
            return {}
        after = " AND occurred_at >= {since:DateTime64(3, 'UTC')}" if since is not None else ""
        rows = await self._ch.query(
            f"SELECT message_id, {_ATTEMPT} FROM {self._ch.table('webhook_attempts')} FINAL "
            f"PREWHERE company_id = {{company_id:String}} AND message_id IN {{message_ids:Array(String)}}{after} "
            "ORDER BY at, attempt",
            {"company_id": company_id, "message_ids": list(message_ids),
             **({"since": since} if since is not None else {})},  # fmt: skip
            FINAL_SETTINGS,
        )
        found: dict[str, list[AttemptView]] = {}
        for message_id, a, r, n, s, at, url, code, ms, err in rows:
            view = AttemptView(a, r, int(n), DeliveryStatus(s), _utc(at), url, int(code), int(ms), err)
            found.setdefault(message_id, []).append(view)
        return found

    async def count(self, query: DeliveryQuery) -> int:
        where, params = self._where(query, None)
        rows = await self._ch.query(
            f"SELECT count() FROM {self._ch.table('webhook_deliveries')} FINAL WHERE {where}", params
        )
        return int(rows[0][0])
