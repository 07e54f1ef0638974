"""The API's side of intake over Kafka: publish a request, await the verdict on the feed."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from domain.orders import Order, OrderRequest, OrderStatus
from streams import messages
from streams.feeds import OrderFeed


class KafkaIntake:
    def __init__(self, producer: AIOKafkaProducer, feed: OrderFeed, requests_topic: str) -> None:
        self._producer = producer
        self._feed = feed
        self._topic = requests_topic

    async def submit(
        self, request: OrderRequest, timeout: float
    ) -> messages.IntakeReply | None:
        reply = self._feed.expect_reply(request.request_id)
        try:
            # Durable before we wait: acks=all, idempotent producer.
            await self._producer.send_and_wait(
                self._topic,
                messages.encode_order_request(request),
                key=request.company_id.encode(),
            )
            return await asyncio.wait_for(asyncio.shield(reply), timeout)
        except TimeoutError:
            return None
        finally:
            self._feed.forget_reply(request.request_id)

    async def wait_for_status(
        self, order: Order, statuses: frozenset[OrderStatus], timeout: float
    ) -> Order:
        return await self._feed.wait_for_status(order, statuses, timeout)

    def recent(self, order_id: str) -> Order | None:
        return self._feed.recent(order_id)
