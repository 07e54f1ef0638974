"""The documented webhook retry schedule, on a simulated clock (fault matrix: a partner endpoint
failing for hours, docs/reliability.md): attempts at 0 s, 5 s, 5 min, 30 min, 2 h, 5 h and 10 h
after the previous one — never earlier — then `exhausted`; a partner that recovers after 3 hours
gets the message at the next scheduled attempt, once. The real Notify agent on the real broker;
only the clock and the partner's HTTP answers are simulated, so hours pass in seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.cards import CardVault
from domain.events import events_for
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from domain.webhooks import (
    AttemptResult, DeliveryStatus, RetrySchedule, WebhookEndpoint, WebhookEventType, WebhookMessage,
)  # fmt: skip
from streams import messages
from streams.admin import ensure_topics
from streams.notify import Notify, NotifyConfig
from streams.topics import ORDERS_EVENTS, PARTNER_EVENTS, WEBHOOKS_ATTEMPTS, WEBHOOKS_REPLAYS, WEBHOOKS_STATE, TopicNames
from streams.webhook_messages import decode_attempt
from tests.streams.kafka_helpers import producer, read_topic

pytestmark = pytest.mark.kafka
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VAULT = CardVault({"k1": b"s" * 32}, b"token")
# The documented schedule (README "Webhooks"): each delay counts from the previous attempt.
DELAYS = [timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
          timedelta(hours=2), timedelta(hours=5), timedelta(hours=10)]  # fmt: skip


class SimulatedClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Partners:
    """Two partners' endpoints: `cmp_down` never answers 2xx, `cmp_back` does from `back_at` on."""

    def __init__(self, clock: SimulatedClock, back_at: datetime) -> None:
        self.clock = clock
        self.back_at = back_at
        self.attempts: dict[str, list[datetime]] = {"cmp_down": [], "cmp_back": []}

    async def attempt(self, message: WebhookMessage, endpoint: WebhookEndpoint | None) -> AttemptResult:
        now = self.clock()
        self.attempts[message.company_id].append(now)
        up = message.company_id == "cmp_back" and now >= self.back_at
        return AttemptResult(now, f"https://{message.company_id}.example/hooks", 200 if up else 503, 12)


def _order(company: str) -> Order:
    order = Order(
        id=f"ord_{company}", company_id=company, idempotency_key="k", product_id="gift-25",
        amount=Money(2500, "EUR"), recipient=Recipient(RecipientKind.EMAIL, email="u@x.test"),
        end_user=EndUser("user-1"), created_at=START, history=(StatusChange(OrderStatus.RECEIVED, "r", START),),
    )  # fmt: skip
    return order.transition(OrderStatus.DECLINED, "no", START)


@pytest.fixture
async def names(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[TopicNames]:
    n = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, n, 1, 1)
    yield n


async def _attempted(partners: Partners, counts: dict[str, int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while any(len(partners.attempts[c]) < n for c, n in counts.items()):
        assert time.monotonic() < deadline, f"expected {counts}, got {partners.attempts}"
        await asyncio.sleep(0.02)


async def test_retries_follow_the_schedule_then_exhaust_and_a_recovered_partner_gets_it_once(
    kafka_bootstrap: str, names: TopicNames
) -> None:
    clock = SimulatedClock()
    partners = Partners(clock, back_at=START + timedelta(hours=3))
    endpoints = {
        c: WebhookEndpoint(f"https://{c}.example/hooks", tuple(WebhookEventType), VAULT.seal("whsec_x"), START)
        for c in partners.attempts
    }  # fmt: skip
    group = f"{names.prefix}notify"
    config = NotifyConfig(
        kafka_bootstrap, group, f"{group}-w1", names(ORDERS_EVENTS), names(PARTNER_EVENTS),
        names(WEBHOOKS_REPLAYS), names(WEBHOOKS_STATE), names(WEBHOOKS_ATTEMPTS),
        RetrySchedule(), retry_backoff_s=0.2, max_wait_s=0.02,  # the documented schedule itself
    )  # fmt: skip
    notify = Notify(config, endpoints.get, partners, clock=clock)
    task = asyncio.create_task(notify.run())
    try:
        async with producer(kafka_bootstrap) as p:
            for company in partners.attempts:
                for event in events_for(_order(company)):
                    await p.send_and_wait(names(ORDERS_EVENTS), messages.encode_order_event(event),
                                          key=company.encode())  # fmt: skip
        await _attempted(partners, {"cmp_down": 1, "cmp_back": 1}, timeout=30)  # at once (delay 0)
        expected = [START]
        for n, delay in enumerate(DELAYS[1:], start=2):
            clock.now = expected[-1] + delay - timedelta(seconds=1)
            await asyncio.sleep(0.3)  # one second early: nothing may be attempted
            assert len(partners.attempts["cmp_down"]) == n - 1, f"attempt {n} came early: {partners.attempts}"
            clock.now = expected[-1] + delay
            expected.append(clock.now)
            await _attempted(partners, {"cmp_down": n})
        assert partners.attempts["cmp_down"] == expected  # exactly on schedule, seven attempts

        # The partner back after 3 h was told at the first attempt after that (the 6th, at
        # 7 h 35 min 5 s), once; the other one is given up after the 7th attempt.
        assert partners.attempts["cmp_back"] == expected[:6]
        clock.now = START + timedelta(hours=30)
        await asyncio.sleep(0.5)
        assert len(partners.attempts["cmp_down"]) == 7 and len(partners.attempts["cmp_back"]) == 6
    finally:
        await notify.stop()
        await asyncio.gather(task, return_exceptions=True)

    records = [decode_attempt(r.value) for r in await read_topic(kafka_bootstrap, names(WEBHOOKS_ATTEMPTS), 1, 2 + 13)]
    final = {r.delivery.message.company_id: r.delivery.status for r in records if r.delivery.status.is_final}
    assert final == {"cmp_down": DeliveryStatus.EXHAUSTED, "cmp_back": DeliveryStatus.DELIVERED}
    assert notify.pending() == 0
