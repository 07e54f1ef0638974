"""The partners' webhook endpoint: answers 204, or 500 while the soak says it is failing.

Counts what arrived: deliveries, those answered 500, distinct `webhook-id`s accepted, the
(order, event type) pairs accepted, and ids delivered again after a 2xx (at-least-once allows
that after a worker was killed between the send and its commit; the partner de-duplicates).
Not a verdict: the notify agent's retry schedule (0 s, 5 s, 5 min, 30 min, …) outlasts a short
soak, so a delivery refused during a webhook fault may be due only after the soak has ended.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import orjson

from bench.hook_server import HookServer


@dataclass
class WebhookCounts:
    deliveries: int = 0
    refused: int = 0  # answered 500 (the fault)
    accepted_ids: set[str] = field(default_factory=set)
    redelivered_after_2xx: int = 0
    events: set[tuple[str, str]] = field(default_factory=set)  # (order id, event type) accepted


class FlakyWebhookReceiver(HookServer):
    def __init__(self) -> None:
        super().__init__()
        self.counts = WebhookCounts()
        self.failing = False

    def answer(self, headers: dict[bytes, bytes], body: bytes) -> bool:
        return self._record(headers.get(b"webhook-id", b"").decode(errors="replace"), body)

    def _record(self, webhook_id: str, body: bytes) -> bool:
        """True when the delivery is accepted (2xx)."""
        c = self.counts
        c.deliveries += 1
        if self.failing:
            c.refused += 1
            return False
        if webhook_id in c.accepted_ids:
            c.redelivered_after_2xx += 1
        c.accepted_ids.add(webhook_id)
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            payload = orjson.loads(body)
            c.events.add((str(payload["data"]["id"]), str(payload["type"])))
        return True
