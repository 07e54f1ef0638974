"""One company's undelivered webhooks, in lanes: what may be attempted now, and when next.

A lane is one order (or one currency's balance): only its first message may be attempted,
so a partner never hears `order.completed` before the `order.in_review` that came first.
Lanes are independent: a message waiting for its retry holds up its own order only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.webhooks import Delivery


@dataclass
class Outbox:
    """In-memory, owned by one delivery task; rebuilt from the durable state after a restart."""

    lanes: dict[str, list[Delivery]] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)  # message ids being attempted

    def __len__(self) -> int:
        return sum(len(lane) for lane in self.lanes.values())

    def get(self, message_id: str) -> Delivery | None:
        return next((d for lane in self.lanes.values() for d in lane if d.message.id == message_id), None)

    def add(self, delivery: Delivery) -> None:
        """Queue a delivery in position order; a newer round of a queued message replaces it."""
        lane = self.lanes.setdefault(delivery.message.lane, [])
        lane[:] = [d for d in lane if d.message.id != delivery.message.id]
        lane.append(delivery)
        lane.sort(key=lambda d: d.message.position)

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Lane heads whose time has come and that are not being attempted, oldest first."""
        heads = [lane[0] for lane in self.lanes.values() if lane]
        ready = [
            d for d in heads
            if d.message.id not in self.in_flight
            and d.next_attempt_at is not None and d.next_attempt_at <= now
        ]  # fmt: skip
        ready.sort(key=lambda d: (d.next_attempt_at, d.message.occurred_at, d.message.id))
        return ready[: max(0, limit)]

    def next_due_at(self) -> datetime | None:
        """The earliest time a head that is not in flight becomes due."""
        times = [
            lane[0].next_attempt_at for lane in self.lanes.values()
            if lane and lane[0].message.id not in self.in_flight and lane[0].next_attempt_at
        ]  # fmt: skip
        return min(times, default=None)

    def settle(self, before: Delivery, after: Delivery) -> bool:
        """Apply an attempt's outcome; False when the delivery was replaced meanwhile (a replay)."""
        self.in_flight.discard(before.message.id)
        lane = self.lanes.get(before.message.lane, [])
        for i, queued in enumerate(lane):
            if queued.message.id == before.message.id:
                if queued.round != before.round:
                    return False
                if after.status.is_final:
                    del lane[i]
                else:
                    lane[i] = after
                break
        else:
            return False
        if not lane:
            self.lanes.pop(before.message.lane, None)
        return True
