"""The API's request/reply over Kafka: publish a request, await its reply, all within a deadline.

The deadline covers the publish too. With the broker away, `send_and_wait` waits out aiokafka's
retries (its request timeout, 40 s, and longer while metadata cannot be fetched) before it
fails; the partner must instead get the same prompt `503` + Retry-After as for a slow agent
(docs/reliability.md, "broker unavailable"). A publish cut short may still reach the broker
once it is back — which is why every such request carries an idempotency key and the 503 says
to retry with it.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

from aiokafka.errors import KafkaError
from streams.healing_producer import RecordWriter

T = TypeVar("T")


async def publish_and_await(
    producer: RecordWriter, topic: str, value: bytes, key: bytes, reply: asyncio.Future[T], timeout: float
) -> T | None:
    """The reply, or None when the publish or the reply did not complete within `timeout`
    (or the publish failed): the request may still be applied later."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        # Durable before we wait: acks=all, idempotent producer.
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), timeout)
        return await asyncio.wait_for(asyncio.shield(reply), max(0.0, deadline - loop.time()))
    except (TimeoutError, KafkaError):
        return None

