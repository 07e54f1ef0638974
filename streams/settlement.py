"""Sandbox settlement: stands in for provider dispatch until real providers exist.

Every reserved order is "sent" and settled at once: paid, or, for a configurable share chosen
deterministically by order id, failed (so releases are exercised too). At-least-once: results
are produced before offsets are committed; a repeated result is ignored by the ledger (the
hold is already settled) and a repeated `dispatched` event has the same id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from domain.events import events_for
from domain.orders import OrderStatus
from streams import messages
from streams.ledger_messages import PayoutResult, encode_payout_result
from streams.relay import RelayClients, run_relay

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SettlementConfig:
    bootstrap: str
    group_id: str
    requests_topic: str
    results_topic: str
    events_topic: str
    failure_share: float  # 0.0 .. 1.0


def fails(order_id: str, share: float) -> bool:
    """Deterministic per order, so a redelivered request settles the same way."""
    bucket = int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:4], "big") % 10_000
    return bucket < int(share * 10_000)


class Settlement:
    def __init__(self, config: SettlementConfig) -> None:
        self._config = config
        self._stopping = asyncio.Event()
        self.settled = 0

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        c = self._config
        await run_relay("settlement", RelayClients(c.bootstrap, c.group_id, c.requests_topic),
                        self._loop, self._stopping)  # fmt: skip

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        c = self._config
        while not self._stopping.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            sends = []
            for records in batch.values():
                for record in records:
                    try:
                        order = messages.decode_order_event(record.value).order
                    except messages.MessageError as exc:
                        log.warning("settlement skipped a bad message: %s", exc)
                        continue
                    if order.status is not OrderStatus.RESERVED:
                        continue
                    at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                    sent = order.transition(OrderStatus.DISPATCHED, "sent to the sandbox settlement", at)
                    failed = fails(order.id, c.failure_share)
                    reason = "sandbox settlement: declined" if failed else "sandbox settlement: paid"
                    key = order.company_id.encode()
                    sends.append(await producer.send(
                        c.events_topic, messages.encode_order_event(events_for(sent, since=order.version)[-1]), key=key))
                    sends.append(await producer.send(
                        c.results_topic, encode_payout_result(PayoutResult(sent, not failed, reason)), key=key))
                    self.settled += 1
            if sends:
                await asyncio.gather(*sends)  # delivered before the offsets move on
            if batch:
                await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
