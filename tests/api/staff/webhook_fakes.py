"""In-memory delivery log and replay queue for the staff webhook routes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.ledger import LowBalance
from domain.webhook_events import low_balance_message
from domain.webhooks import DeliveryStatus
from domain.webhook_log import AttemptView, DeliveryCursor, DeliveryQuery, DeliveryView
from streams.webhook_messages import ReplayRequest


@dataclass
class InMemoryDeliveryLog:
    deliveries: list[DeliveryView] = field(default_factory=list)
    attempt_log: dict[str, list[AttemptView]] = field(default_factory=dict)

    def _matching(self, q: DeliveryQuery) -> list[DeliveryView]:
        found = [
            v for v in self.deliveries
            if (q.company_id is None or v.message.company_id == q.company_id)
            and (q.status is None or v.status is q.status)
            and (q.occurred_from is None or v.message.occurred_at >= q.occurred_from)
            and (q.occurred_to is None or v.message.occurred_at < q.occurred_to)
        ]  # fmt: skip
        return sorted(found, key=lambda v: (v.message.occurred_at, v.message.id), reverse=True)

    async def page(
        self, query: DeliveryQuery, after: DeliveryCursor | None, limit: int
    ) -> tuple[list[DeliveryView], DeliveryCursor | None]:
        rows = [
            v for v in self._matching(query)
            if after is None or (v.message.occurred_at, v.message.id) < (after.occurred_at, after.message_id)
        ]  # fmt: skip
        page = rows[:limit]
        return page, (page[-1].cursor if len(rows) > limit else None)

    async def get(self, message_id: str) -> DeliveryView | None:
        return next((v for v in self.deliveries if v.message.id == message_id), None)

    async def attempts(self, company_id: str, message_id: str) -> list[AttemptView]:
        return list(self.attempt_log.get(message_id, []))

    async def count(self, query: DeliveryQuery) -> int:
        return len(self._matching(query))


@dataclass
class RecordingReplays:
    requests: list[ReplayRequest] = field(default_factory=list)

    async def submit(self, requests: Sequence[ReplayRequest]) -> None:
        self.requests.extend(requests)


SEEDED_COMPANY = "cmp_seeded"


def seeded_delivery_log() -> InMemoryDeliveryLog:
    """One delivered `balance.low` of the seeded company (for the role matrix)."""
    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    message = low_balance_message(LowBalance(SEEDED_COMPANY, "EUR", 1, 2, at))
    view = DeliveryView(message, DeliveryStatus.DELIVERED, 1, "", at, at, 200, "", None, "https://p.test/h")
    return InMemoryDeliveryLog([view])


SEEDED_MESSAGE = seeded_delivery_log().deliveries[0].message.id
