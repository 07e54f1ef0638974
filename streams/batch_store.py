"""Where the API writes a batch's header and rejected lines: their compacted topics (acks=all,
idempotent producer), from which the sink stores them in ClickHouse."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from domain.batches import BatchHeader, RejectedLine
from streams.acknowledged import acknowledged
from streams.batch_messages import encode_batch_header, encode_rejected_line, rejected_line_key
from streams.healing_producer import RecordWriter


class KafkaBatchStore:
    def __init__(self, producer: RecordWriter, headers_topic: str, lines_topic: str) -> None:
        self._producer = producer
        self._headers = headers_topic
        self._lines = lines_topic

    async def save_header(self, header: BatchHeader) -> None:
        await acknowledged(self._producer.send_and_wait(self._headers, encode_batch_header(header), key=header.id.encode()),
                           "The batch")  # fmt: skip

    async def save_rejected(self, lines: Sequence[RejectedLine]) -> None:
        """All durable on return: sent back to back, then every acknowledgement awaited."""
        sent = [
            await self._producer.send(self._lines, encode_rejected_line(r), key=rejected_line_key(r))
            for r in lines
        ]
        await acknowledged(asyncio.gather(*sent), "The batch's rejected lines")

