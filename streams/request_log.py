"""Publishes sanitized request-log records to Kafka without holding up the response."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer

from streams.messages import RequestLogRecord, encode_request_log

log = logging.getLogger(__name__)


class KafkaRequestLog:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._pending: set[asyncio.Task[None]] = set()

    def publish(self, record: RequestLogRecord) -> None:
        task = asyncio.get_running_loop().create_task(self._send(record))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, record: RequestLogRecord) -> None:
        key = (record.company_id or "-").encode()
        try:
            await self._producer.send(self._topic, encode_request_log(record), key=key)
        except Exception:
            log.exception("could not enqueue request log %s", record.request_id)

    async def drain(self) -> None:
        """Wait for enqueued records, then for the producer to deliver them."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._producer.flush()
