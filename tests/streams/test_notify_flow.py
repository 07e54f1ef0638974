"""The notify agent through the real broker to a real HTTP endpoint: signed webhooks, retries
while a partner is down (without holding up other partners, in order per order), restarts."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.webhooks_repo import ClickHouseWebhookLog
from domain.cards import CardVault
from domain.events import events_for
from domain.ledger import LowBalance
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from domain.webhook_log import DeliveryQuery
from domain.webhooks import DeliveryStatus, RetrySchedule, WebhookEndpoint, WebhookEventType
from streams import messages
from streams.admin import ensure_topics
from streams.ledger_messages import encode_low_balance
from quadra.runtime import sink_routes
from streams.notify import Notify, NotifyConfig
from streams.sink import Sink, SinkConfig
from streams.topics import (
    ORDERS_EVENTS, PARTNER_EVENTS, WEBHOOKS_ATTEMPTS, WEBHOOKS_REPLAYS, WEBHOOKS_STATE, TopicNames,
)  # fmt: skip
from streams.webhook_messages import ReplayRequest, decode_attempt
from streams.webhook_replays import KafkaReplayQueue
from streams.webhook_sender import WebhookSender
from tests.streams.kafka_helpers import producer, read_topic
from tests.streams.webhook_receiver import Receiver, serving_receiver


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


pytestmark = pytest.mark.kafka
PARTITIONS = 2
VAULT = CardVault({"k1": b"w" * 32}, b"token")
# Compressed: the first attempt at once, then every 0.25 s for ten seconds (never real minutes).
FAST = RetrySchedule((timedelta(0), *[timedelta(seconds=0.25)] * 40))
SECRETS = {c: "whsec_" + base64.b64encode(c.encode().ljust(32, b"!")).decode() for c in ("cmp_a", "cmp_b", "cmp_c")}


def _order(n: int, company: str, *statuses: OrderStatus) -> Order:
    at = datetime.now(UTC)
    order = Order(
        id=f"ord_{company}_{n}", company_id=company, idempotency_key=f"k{n}", product_id="gift-25",
        amount=Money(2500, "EUR"), recipient=Recipient(RecipientKind.EMAIL, email="u@x.test"),
        end_user=EndUser(f"user-{n}"), created_at=at, history=(StatusChange(OrderStatus.RECEIVED, "r", at),),
    )  # fmt: skip
    for status in statuses:
        order = order.transition(status, f"because {status.value}", at)
    return order


@dataclass
class Harness:
    bootstrap: str
    names: TopicNames
    receiver: Receiver
    endpoints: dict[str, WebhookEndpoint]
    group: str
    notifies: list[tuple[Notify, asyncio.Task[None]]] = field(default_factory=list)

    def config(self) -> NotifyConfig:
        n = self.names
        return NotifyConfig(
            self.bootstrap, self.group, f"{self.group}-w1", n(ORDERS_EVENTS), n(PARTNER_EVENTS),
            n(WEBHOOKS_REPLAYS), n(WEBHOOKS_STATE), n(WEBHOOKS_ATTEMPTS), FAST, retry_backoff_s=0.2,
        )  # fmt: skip

    def start(self, client: httpx.AsyncClient) -> Notify:
        notify = Notify(self.config(), self.endpoints.get, WebhookSender(client, VAULT.reveal))
        self.notifies.append((notify, asyncio.create_task(notify.run())))
        return notify

    async def stop(self, abruptly: bool = False) -> None:
        notify, task = self.notifies.pop()
        if abruptly:  # like a crash: nothing is flushed on the way out
            task.cancel()
        else:
            await notify.stop()
        await asyncio.gather(task, return_exceptions=True)

    async def publish(self, *orders: Order, since: int = 0) -> None:
        async with producer(self.bootstrap) as p:
            for order in orders:
                for event in events_for(order, since=since):
                    await p.send_and_wait(self.names(ORDERS_EVENTS), messages.encode_order_event(event),
                                          key=order.company_id.encode())  # fmt: skip

    async def log(self, count: int) -> list:  # type: ignore[type-arg]
        records = await read_topic(self.bootstrap, self.names(WEBHOOKS_ATTEMPTS), PARTITIONS, count, 30)
        return [decode_attempt(r.value) for r in records]


@pytest.fixture
async def harness(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[Harness]:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    async with serving_receiver() as receiver:
        endpoints = {
            c: WebhookEndpoint(f"{receiver.url}/{c}", tuple(WebhookEventType), VAULT.seal(secret),
                               datetime.now(UTC))  # fmt: skip
            for c, secret in SECRETS.items()
        }
        h = Harness(kafka_bootstrap, names, receiver, endpoints, f"{topic_prefix}notify")
        try:
            yield h
        finally:
            while h.notifies:
                await h.stop()


def _verify(company: str, got: list) -> list[dict]:  # type: ignore[type-arg]
    return [Webhook(SECRETS[company]).verify(r.body, r.headers) for r in got]


async def test_order_and_balance_events_become_signed_webhooks(harness: Harness) -> None:
    h = harness
    h.endpoints["cmp_b"] = replace(h.endpoints["cmp_b"], event_types=(WebhookEventType.ORDER_COMPLETED,))
    reviewed = _order(1, "cmp_a", OrderStatus.IN_REVIEW, OrderStatus.DECLINED)
    paid = _order(2, "cmp_a", OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED)
    b_failed = _order(3, "cmp_b", OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.FAILED)
    b_paid = _order(4, "cmp_b", OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED)
    nobody = _order(5, "cmp_nobody", OrderStatus.DECLINED)  # no endpoint: nothing is sent
    async with httpx.AsyncClient(timeout=10) as client:
        h.start(client)
        await h.publish(reviewed, paid, b_failed, b_paid, nobody, reviewed)  # `reviewed` twice: a duplicate
        async with producer(h.bootstrap) as p:
            low = LowBalance("cmp_a", "EUR", 900, 1000, datetime.now(UTC))
            await p.send_and_wait(h.names(PARTNER_EVENTS), encode_low_balance(low), key=b"cmp_a")

        a = await h.receiver.wait_for("/cmp_a", 4)
        b = await h.receiver.wait_for("/cmp_b", 1)
        await asyncio.sleep(0.5)  # anything more would be a duplicate or an unwanted event

    assert len(h.receiver.ok("/cmp_a")) == 4 and len(h.receiver.ok("/cmp_b")) == 1
    assert h.receiver.tried("/cmp_nobody") == []
    a_payloads = _verify("cmp_a", a)  # the official library accepts every signature
    by_type = {p["type"]: p for p in a_payloads}
    assert set(by_type) == {"order.in_review", "order.declined", "order.completed", "balance.low"}
    assert by_type["order.declined"]["data"]["reason"] == "because declined"
    assert by_type["order.completed"]["data"]["id"] == paid.id
    assert by_type["balance.low"]["data"] == {"object": "balance", "currency": "EUR", "available": 900, "threshold": 1000}
    assert [p["type"] for p in _verify("cmp_b", b)] == ["order.completed"]
    with pytest.raises(Exception):
        Webhook(SECRETS["cmp_b"]).verify(a[0].body, a[0].headers)  # a's secret is a's alone
    assert all(r.headers["content-type"] == "application/json" for r in a)

    log = await h.log(2 * 5)  # queued + delivered, for each of the five messages
    assert {(r.delivery.message.id, r.delivery.status) for r in log} >= {
        (r.headers["webhook-id"], DeliveryStatus.DELIVERED) for r in a + b
    }
    assert {r.delivery.status for r in log} == {DeliveryStatus.PENDING, DeliveryStatus.DELIVERED}


async def test_a_down_partner_gets_everything_later_in_order_and_others_are_not_held_up(harness: Harness) -> None:
    h = harness
    h.receiver.status["/cmp_a"] = 503
    first = [_order(n, "cmp_a", OrderStatus.IN_REVIEW) for n in range(10, 16)]
    async with httpx.AsyncClient(timeout=10) as client:
        h.start(client)
        await h.publish(*first)
        await h.receiver.wait_for("/cmp_a", 12, ok=False)  # failing, retried
        # Meanwhile: the second event of each order, and company B's traffic.
        later = [o.transition(OrderStatus.DECLINED, "analyst said no", datetime.now(UTC)) for o in first]
        await h.publish(*later, since=2)
        b_orders = [_order(n, "cmp_b", OrderStatus.DECLINED) for n in range(20, 25)]
        started = time.monotonic()
        await h.publish(*b_orders)
        b = await h.receiver.wait_for("/cmp_b", 5, timeout=10)
        assert b[-1].at - started < 3.0, "company B waited on company A"
        assert h.receiver.ok("/cmp_a") == []

        h.receiver.status["/cmp_a"] = 200  # A is back
        a = await h.receiver.wait_for("/cmp_a", 12, timeout=20)

    payloads = _verify("cmp_a", a)
    seen: dict[str, list[str]] = {}
    for p in payloads:
        seen.setdefault(p["data"]["id"], []).append(p["type"])
    assert seen == {o.id: ["order.in_review", "order.declined"] for o in first}  # in order, per order
    failing = [r for r in h.receiver.tried("/cmp_a") if r.status == 503]
    assert len({r.headers["webhook-id"] for r in failing}) <= 6  # only lane heads were tried
    retried = {r.headers["webhook-id"] for r in failing} & {r.headers["webhook-id"] for r in a}
    assert retried, "the retried messages kept their webhook-id"


async def test_a_restart_mid_retry_loses_nothing_and_resends_nothing_delivered(harness: Harness) -> None:
    h = harness
    h.receiver.status["/cmp_a"] = 503
    a_orders = [_order(n, "cmp_a", OrderStatus.DECLINED) for n in range(30, 34)]
    b_orders = [_order(n, "cmp_b", OrderStatus.DECLINED) for n in range(40, 43)]
    async with httpx.AsyncClient(timeout=10) as client:
        h.start(client)
        await h.publish(*a_orders, *b_orders)
        await h.receiver.wait_for("/cmp_b", 3)
        await h.receiver.wait_for("/cmp_a", 8, ok=False)  # every message failed twice on average
        await h.stop()  # graceful: outcomes so far are committed

        # While nobody runs: more events, and the partner recovers.
        more = _order(35, "cmp_a", OrderStatus.IN_REVIEW)
        await h.publish(more)
        h.receiver.status["/cmp_a"] = 200
        h.start(client)
        a = await h.receiver.wait_for("/cmp_a", 5, timeout=30)
        await asyncio.sleep(1.0)  # a resend of B's deliveries would show up by now

        # A crash (no graceful stop) while A is failing again: still nothing lost.
        h.receiver.status["/cmp_a"] = 503
        crash = _order(36, "cmp_a", OrderStatus.DECLINED)
        await h.publish(crash)
        await h.receiver.wait_for("/cmp_a", len(h.receiver.tried("/cmp_a")) + 2, ok=False)
        await h.stop(abruptly=True)
        h.receiver.status["/cmp_a"] = 200
        h.start(client)
        await h.receiver.wait_for("/cmp_a", 6, timeout=30)

    assert len(h.receiver.ok("/cmp_b")) == 3, "delivered messages were sent again after the restart"
    delivered = {p["data"]["id"] for p in _verify("cmp_a", h.receiver.ok("/cmp_a"))}
    assert delivered == {o.id for o in [*a_orders, more, crash]}
    assert len(a) >= 5


async def test_a_staff_replay_sends_the_same_message_again(harness: Harness) -> None:
    h = harness
    order = _order(50, "cmp_c", OrderStatus.DECLINED)
    async with httpx.AsyncClient(timeout=10) as client:
        h.start(client)
        await h.publish(order)
        [first] = await h.receiver.wait_for("/cmp_c", 1)
        [queued, delivered] = [r for r in await h.log(2) if r.delivery.message.company_id == "cmp_c"]
        async with producer(h.bootstrap) as p:
            replay = ReplayRequest("rpl_test", delivered.delivery.message, "stf_1", datetime.now(UTC))
            await KafkaReplayQueue(p, h.names(WEBHOOKS_REPLAYS)).submit([replay])
        second = (await h.receiver.wait_for("/cmp_c", 2))[1]

    assert second.headers["webhook-id"] == first.headers["webhook-id"] == queued.delivery.message.id
    assert second.body == first.body
    assert _verify("cmp_c", [first, second])
    log = await h.log(4)
    assert {r.delivery.round for r in log if r.delivery.message.company_id == "cmp_c"} == {"", "rpl_test"}


async def test_the_delivery_log_reaches_clickhouse_through_the_sink(harness: Harness, clickhouse: ClickHouse) -> None:
    h = harness
    h.receiver.status["/cmp_a"] = 503
    order = _order(60, "cmp_a", OrderStatus.IN_REVIEW, OrderStatus.DECLINED)
    async with httpx.AsyncClient(timeout=10) as client:
        h.start(client)
        await h.publish(order)
        await h.receiver.wait_for("/cmp_a", 2, ok=False)
        h.receiver.status["/cmp_a"] = 200
        await h.receiver.wait_for("/cmp_a", 2)
        await h.stop()
    records = await h.log(1)
    migrate(clickhouse)
    sink = Sink(SinkConfig(h.bootstrap, f"{h.group}-sink", 100, 0.2), clickhouse, sink_routes(h.names))
    await sink.start()
    task = asyncio.create_task(sink.run())
    deadline = time.monotonic() + 30
    while sink.written_messages < len(records):
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.05)
    await sink.stop()
    await task

    log = ClickHouseWebhookLog(clickhouse)
    page, _ = await log.page(DeliveryQuery(company_id="cmp_a"), None, 10)
    assert [v.status for v in page] == [DeliveryStatus.DELIVERED] * 2
    head = next(v for v in page if v.message.position == 2)  # in_review: it failed first
    assert head.attempts >= 3 and head.last_response_status == 200
    attempts = await log.attempts("cmp_a", head.message.id)
    assert [a.attempt for a in attempts] == list(range(head.attempts + 1))
    assert {a.response_status for a in attempts[1:-1]} == {503}
