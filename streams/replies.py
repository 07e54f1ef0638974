"""Request/reply over Kafka for commands (ledger, registry, staff): the API publishes a command
carrying its request id, the owning agent answers on `commands.replies`, the API awaits it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord

from domain.errors import DomainError
from streams import messages
from streams.feeds import TopicTail
from streams.healing_producer import RecordWriter
from streams.request_reply import publish_and_await


@dataclass(frozen=True, slots=True)
class CommandError:
    status: int
    slug: str
    title: str
    detail: str

    @classmethod
    def from_domain(cls, error: DomainError) -> CommandError:
        return cls(error.status, error.slug, error.title, error.detail)


@dataclass(frozen=True, slots=True)
class CommandReply:
    request_id: str
    error: CommandError | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def encode_reply(reply: CommandReply) -> bytes:
    error = reply.error
    return messages.dumps(
        {
            "request_id": reply.request_id,
            "error": None
            if error is None
            else {"status": error.status, "slug": error.slug, "title": error.title, "detail": error.detail},
            "payload": reply.payload,
        }
    )


def decode_reply(raw: bytes | None) -> CommandReply:
    d = messages.loads(raw)
    try:
        e = d.get("error")
        error = CommandError(int(e["status"]), e["slug"], e["title"], e["detail"]) if e else None
        return CommandReply(d["request_id"], error, dict(d.get("payload") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise messages.MessageError(f"bad command reply: {exc!r}") from exc


class CommandBus:
    """API side: publish a command (keyed for its partition) and await its reply."""

    def __init__(self, producer: RecordWriter, bootstrap: str, replies_topic: str, partitions: int):
        self._producer = producer
        self._waiting: dict[str, asyncio.Future[CommandReply]] = {}
        self._tail = TopicTail(bootstrap, {replies_topic: partitions}, self._on_record, from_beginning=False)

    async def start(self) -> None:
        await self._tail.start()

    async def stop(self) -> None:
        await self._tail.stop()

    async def send(
        self, topic: str, key: str, value: bytes, request_id: str, timeout: float
    ) -> CommandReply | None:
        """None when no reply came in time (the command may still be applied later: retry
        with the same idempotency key)."""
        future: asyncio.Future[CommandReply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            return await publish_and_await(self._producer, topic, value, key.encode(), future, timeout)
        finally:
            self._waiting.pop(request_id, None)

    def _on_record(self, record: ConsumerRecord) -> None:
        reply = decode_reply(record.value)
        future = self._waiting.pop(reply.request_id, None)
        if future is not None and not future.done():
            future.set_result(reply)
