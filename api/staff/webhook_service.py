"""Use cases behind the staff webhook routes: read the delivery log, replay deliveries.

Reads come from the delivery log in ClickHouse. A replay never calls a partner from here: it
is a request on Kafka (`webhooks.replays`) that the notify agent owning the company picks up,
sending the stored message again under the same `webhook-id`. Every replay is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.audit import AuditTrail
from domain.errors import DomainError, NotFound
from domain.staff import StaffActor
from domain.webhook_log import AttemptView, DeliveryCursor, DeliveryQuery, DeliveryView
from streams.webhook_messages import ReplayRequest

REPLAY_PAGE = 1_000


class ReplayRangeTooLarge(DomainError):
    status = 422
    slug = "replay-range-too-large"
    title = "Too many deliveries in the range to replay at once"


class DeliveryLog(Protocol):
    async def page(
        self, query: DeliveryQuery, after: DeliveryCursor | None, limit: int
    ) -> tuple[list[DeliveryView], DeliveryCursor | None]: ...

    async def get(self, message_id: str) -> DeliveryView | None: ...

    async def attempts(self, company_id: str, message_id: str) -> list[AttemptView]: ...

    async def count(self, query: DeliveryQuery) -> int: ...


class ReplayQueue(Protocol):
    async def submit(self, requests: Sequence[ReplayRequest]) -> None:
        """Durable when it returns (the notify agent will see every request)."""


class WebhookAdmin:
    def __init__(self, log: DeliveryLog, replays: ReplayQueue, audit: AuditTrail,
                 max_replay: int = 10_000) -> None:  # fmt: skip
        self._log = log
        self._replays = replays
        self._audit = audit
        self._max_replay = max_replay

    async def deliveries(
        self, query: DeliveryQuery, after: DeliveryCursor | None, limit: int
    ) -> tuple[list[DeliveryView], DeliveryCursor | None]:
        return await self._log.page(query, after, limit)

    async def delivery(self, message_id: str) -> tuple[DeliveryView, list[AttemptView]]:
        view = await self._found(message_id)
        return view, await self._log.attempts(view.message.company_id, message_id)

    async def replay(self, actor: StaffActor, message_id: str) -> tuple[str, DeliveryView]:
        view = await self._found(message_id)
        replay_id = f"rpl_{actor.request_id}"
        await self._replays.submit([ReplayRequest(replay_id, view.message, actor.user.id, actor.at)])
        await self._audit.record(actor.audit(
            "webhook.replay", message_id, view.message.company_id,
            {"replay_id": replay_id, "event_type": view.message.event_type.value, "status": view.status.value},
        ))  # fmt: skip
        return replay_id, view

    async def replay_range(
        self, actor: StaffActor, company_id: str, occurred_from: datetime, occurred_to: datetime
    ) -> tuple[str, int]:
        """Every delivery of the company whose event occurred in [from, to), oldest first."""
        query = DeliveryQuery(company_id=company_id, occurred_from=occurred_from, occurred_to=occurred_to)
        total = await self._log.count(query)
        if total > self._max_replay:
            raise ReplayRangeTooLarge(
                f"{total} deliveries in the range; replay at most {self._max_replay} at once "
                "(narrow from/to)"
            )
        views: list[DeliveryView] = []
        cursor: DeliveryCursor | None = None
        while True:
            page, cursor = await self._log.page(query, cursor, REPLAY_PAGE)
            views += page
            if cursor is None or len(views) >= self._max_replay:
                break
        replay_id = f"rpl_{actor.request_id}"
        views.reverse()  # oldest first: each order's messages reach the agent in their order
        await self._replays.submit([ReplayRequest(replay_id, v.message, actor.user.id, actor.at) for v in views])
        await self._audit.record(actor.audit(
            "webhook.replay_range", company_id, company_id,
            {"replay_id": replay_id, "from": occurred_from.isoformat(), "to": occurred_to.isoformat(),
             "count": len(views)},
        ))  # fmt: skip
        return replay_id, len(views)

    async def _found(self, message_id: str) -> DeliveryView:
        view = await self._log.get(message_id)
        if view is None:
            raise NotFound(f"No webhook delivery {message_id}")
        return view
