"""Two dispatchers in one group through the real broker: a rebalance while payouts are on their
way to the bank must not let the new owner pay them again somewhere else.

The seed-15 soak paid two orders twice that way: the new owner, bank A's breaker open in its
process, asked bank A (not found: the first owner's payout had not arrived yet) and paid at
bank B. Here the first dispatcher's payouts to bank A spend seconds on the network, and the
second dispatcher, bank A's breaker open, joins the group meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from domain.catalog import ProductType
from domain.events import events_for
from providers.banks import bank_a, bank_b
from providers.base import ProviderConfig
from providers.circuit import CircuitBreaker
from providers.routing import Route, Router
from sandbox import SandboxConfig, create_sandbox_app
from streams import messages
from streams.admin import ensure_topics
from streams.dispatch import Dispatch, DispatchConfig
from streams.ledger_messages import decode_payout_result
from streams.topics import ORDERS_EVENTS, PAYOUTS_REQUESTED, PAYOUTS_RESULTS, TopicNames
from tests.streams.kafka_helpers import producer, read_topic
from tests.streams.payout_orders import CATALOG, VAULT, card_recipient, reserved

pytestmark = pytest.mark.kafka
ON_THE_WAY_S = 8.0  # longer than a member takes to notice a rebalance (its heartbeat, 3 s)


class SlowToBankA(httpx.AsyncBaseTransport):
    """Payouts to bank A spend `ON_THE_WAY_S` on the network: sent, not arrived yet."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.sent = 0
        self.arrived = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slow = request.method == "POST" and request.url.path.startswith("/bank-a/")
        if slow:
            self.sent += 1
            await asyncio.sleep(ON_THE_WAY_S)
            self.arrived += 1
        return await self._inner.handle_async_request(request)


async def _eventually(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


@asynccontextmanager
async def _dispatcher(
    transport: httpx.AsyncBaseTransport, bootstrap: str, group: str, names: TopicNames, bank_a_open: bool
) -> AsyncIterator[None]:
    config = ProviderConfig(timeout_s=30.0, backoff_base_s=0.01)
    breaker_a = CircuitBreaker(failure_threshold=1, cool_down_s=600)
    if bank_a_open:
        breaker_a.record_failure()
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        router = Router({ProductType.CARD_TRANSFER: [Route(bank_a(client, config), breaker_a),
                                                     Route(bank_b(client, config), CircuitBreaker())]})  # fmt: skip
        dispatch = Dispatch(
            DispatchConfig(bootstrap, group, names(PAYOUTS_REQUESTED), names(PAYOUTS_RESULTS),
                           names(ORDERS_EVENTS), settle_timeout_s=10, handover_timeout_s=20),
            router, CATALOG, VAULT,
        )  # fmt: skip
        task = asyncio.create_task(dispatch.run())
        try:
            yield
        finally:
            await dispatch.stop()
            await task


async def test_a_rebalance_waits_for_payouts_on_their_way_and_none_is_paid_twice(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    app = create_sandbox_app(SandboxConfig(bank_completion_delay_ms=50))
    slow = SlowToBankA(httpx.ASGITransport(app=app))
    orders = [reserved(41, "card-transfer-eur", card_recipient()), reserved(42, "card-transfer-eur", card_recipient())]
    group = f"{topic_prefix}dispatch"

    async with _dispatcher(slow, kafka_bootstrap, group, names, bank_a_open=False):
        async with producer(kafka_bootstrap) as p:
            for partition, order in enumerate(orders):  # one on each partition: each member gets one
                event = messages.encode_order_event(events_for(order)[-1])
                await p.send_and_wait(names(PAYOUTS_REQUESTED), event, key=b"cmp_a", partition=partition)
        await _eventually(lambda: slow.sent == 2, 30, "the first dispatcher sent both payouts")

        async with _dispatcher(httpx.ASGITransport(app=app), kafka_bootstrap, group, names, bank_a_open=True):
            records = await read_topic(kafka_bootstrap, names(PAYOUTS_RESULTS), 2, len(orders), 60)
            await _eventually(lambda: slow.arrived == slow.sent, 30, "the slow payouts arrived")
            await asyncio.sleep(1.0)  # whatever the second dispatcher would do with them, done

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as sandbox:
        executions = (await sandbox.get("/_control/stats")).json()["executions"]
    paid_at = {(provider, order_id): count for provider, by_order in executions.items()
               for order_id, count in by_order.items() if count}  # fmt: skip
    assert paid_at == {("bank-a", o.id): 1 for o in orders}, paid_at
    results = [decode_payout_result(r.value) for r in records]
    # One result each: the first dispatcher committed them in the handover, so the second one
    # started past them instead of redoing them.
    assert sorted((r.order.id, r.paid, r.order.provider) for r in results) == [(o.id, True, "bank-a") for o in orders]
