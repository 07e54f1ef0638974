"""Publishes sanitized request-log records to Kafka."""

from __future__ import annotations

from streams.messages import RequestLogRecord, encode_request_log
from streams.outbox import RecordSender


class KafkaRequestLog:
    def __init__(self, producer: RecordSender, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, record: RequestLogRecord) -> None:
        """Returns once the broker has the record (acks=all) or, through a KafkaOutbox, once
        the broker or the local spool has it."""
        key = (record.company_id or "-").encode()
        await self._producer.send_and_wait(self._topic, encode_request_log(record), key=key)
