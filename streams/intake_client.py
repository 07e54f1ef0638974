"""The API's side of intake over Kafka: publish a request, await the verdict on the feed."""

from __future__ import annotations

from domain.orders import Order, OrderRequest, OrderStatus
from streams import messages
from streams.feeds import OrderFeed
from streams.healing_producer import RecordWriter
from streams.request_reply import publish_and_await


class KafkaIntake:
    def __init__(self, producer: RecordWriter, feed: OrderFeed, requests_topic: str) -> None:
        self._producer = producer
        self._feed = feed
        self._topic = requests_topic

    async def submit(
        self, request: OrderRequest, timeout: float
    ) -> messages.IntakeReply | None:
        reply = self._feed.expect_reply(request.request_id)
        try:
            return await publish_and_await(
                self._producer, self._topic, messages.encode_order_request(request),
                request.company_id.encode(), reply, timeout,
            )  # fmt: skip
        finally:
            self._feed.forget_reply(request.request_id)

    async def wait_for_status(
        self, order: Order, statuses: frozenset[OrderStatus], timeout: float
    ) -> Order:
        return await self._feed.wait_for_status(order, statuses, timeout)

    def recent(self, order_id: str) -> Order | None:
        return self._feed.recent(order_id)

    async def caught_up(self, timeout: float) -> bool:
        return await self._feed.sync(timeout)

