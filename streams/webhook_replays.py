"""Staff replay requests onto `webhooks.replays`, keyed by company so the notify agent that
owns the company's partition picks them up."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from streams.acknowledged import acknowledged
from streams.healing_producer import RecordWriter
from streams.webhook_messages import ReplayRequest, encode_replay


class KafkaReplayQueue:
    def __init__(self, producer: RecordWriter, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def submit(self, requests: Sequence[ReplayRequest]) -> None:
        sent = [
            await self._producer.send(self._topic, encode_replay(r), key=r.message.company_id.encode())
            for r in requests
        ]
        await acknowledged(asyncio.gather(*sent), "The replay request")  # before the caller is answered

