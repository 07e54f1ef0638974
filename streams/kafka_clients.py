"""Closing Kafka clients: one that fails to close must not keep the others open."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

log = logging.getLogger(__name__)


async def stop_all(*clients: AIOKafkaConsumer | AIOKafkaProducer | None) -> None:
    for client in clients:
        if client is not None:
            try:
                await client.stop()
            except Exception:
                log.exception("error while closing a Kafka client")
