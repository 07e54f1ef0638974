"""The partners' webhook endpoint: answers 204, or 500 while the soak says it is failing.

Counts what arrived: deliveries, those answered 500, distinct `webhook-id`s accepted, the
(order, event type) pairs accepted, and ids delivered again after a 2xx (at-least-once allows
that after a worker was killed between the send and its commit; the partner de-duplicates).
Not a verdict: the notify agent's retry schedule (0 s, 5 s, 5 min, 30 min, …) outlasts a short
soak, so a delivery refused during a webhook fault may be due only after the soak has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import orjson


@dataclass
class WebhookCounts:
    deliveries: int = 0
    refused: int = 0  # answered 500 (the fault)
    accepted_ids: set[str] = field(default_factory=set)
    redelivered_after_2xx: int = 0
    events: set[tuple[str, str]] = field(default_factory=set)  # (order id, event type) accepted


class FlakyWebhookReceiver:
    def __init__(self) -> None:
        self.counts = WebhookCounts()
        self.failing = False
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers: dict[bytes, bytes] = {}
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get(b"content-length", b"0") or 0)
                body = await reader.readexactly(length) if length else b""
                if self._record(headers.get(b"webhook-id", b"").decode(errors="replace"), body):
                    writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

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

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
