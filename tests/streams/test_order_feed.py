"""The API's order feed through the real broker: a process that did not answer a POST learns of
the order by catching up (what a GET behind a load balancer waits for)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from domain.intake import Admission, Decision, admit
from domain.orders import Order, OrderStatus
from streams import messages
from streams.admin import ensure_topics
from streams.feeds import OrderFeed
from streams.topics import INTAKE_REPLIES, ORDERS_EVENTS, TopicNames
from tests.builders import order_request
from tests.streams.kafka_helpers import producer

pytestmark = pytest.mark.kafka
PARTITIONS = 2


@contextlib.asynccontextmanager
async def feed(bootstrap: str, names: TopicNames) -> AsyncIterator[OrderFeed]:
    f = OrderFeed(bootstrap, names(INTAKE_REPLIES), names(ORDERS_EVENTS), PARTITIONS)
    await f.start()
    try:
        yield f
    finally:
        await f.stop()


def _created() -> Order:
    result = admit(order_request(), None, lambda order: Decision(OrderStatus.APPROVED, ""))
    assert result.order is not None
    return result.order


async def test_a_feed_that_caught_up_knows_an_order_another_process_answered_for(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    order = _created()
    async with feed(kafka_bootstrap, names) as other_process, producer(kafka_bootstrap) as p:
        assert other_process.recent(order.id) is None
        reply = messages.IntakeReply("req-1", Admission.CREATED, order)
        await p.send_and_wait(names(INTAKE_REPLIES), messages.encode_intake_reply(reply), key=order.company_id.encode())

        assert await other_process.sync(10)
        assert other_process.recent(order.id) == order
        assert await other_process.sync(10)  # nothing new: at once


async def test_a_catch_up_that_cannot_finish_in_time_says_so(kafka_bootstrap: str, topic_prefix: str) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    async with feed(kafka_bootstrap, names) as f:
        assert await f.sync(0) is False
        assert await f.sync(10) is True
