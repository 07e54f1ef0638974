"""Dispatch through the real broker to the provider sandbox (in process, over ASGI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import orjson
import pytest

from domain.catalog import ProductType
from domain.events import events_for
from domain.orders import Recipient, RecipientKind
from providers.banks import bank_a, bank_b
from providers.base import ProviderConfig
from providers.circuit import CircuitBreaker
from providers.gift_certificates import GiftCertificateProvider
from providers.routing import Route, Router
from providers.topups import TopUpProvider
from providers.virtual_cards import VirtualCardProvider
from sandbox import SandboxConfig, create_sandbox_app
from streams import messages
from streams.admin import ensure_topics
from streams.dispatch import Dispatch, DispatchConfig
from streams.ledger_messages import decode_payout_result
from streams.outbound_calls import OutboundCallLog
from streams.topics import ORDERS_EVENTS, PAYOUTS_REQUESTED, PAYOUTS_RESULTS, REQUESTS_LOG, TopicNames
from tests.streams.kafka_helpers import max_message_bytes, producer, read_topic
from tests.streams.payout_orders import CATALOG, VAULT, reserved

pytestmark = pytest.mark.kafka


@dataclass
class Harness:
    names: TopicNames
    sandbox: httpx.AsyncClient


@pytest.fixture
async def harness(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[Harness]:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    app = create_sandbox_app(SandboxConfig(bank_completion_delay_ms=50))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        config = ProviderConfig(timeout_s=2.0, backoff_base_s=0.01)
        calls = OutboundCallLog(names(REQUESTS_LOG))

        def route(provider: object) -> Route:
            return Route(provider, CircuitBreaker(failure_threshold=2, cool_down_s=30))  # type: ignore[arg-type]

        router = Router({
            ProductType.CARD_TRANSFER: [route(bank_a(client, config, calls)), route(bank_b(client, config, calls))],
            ProductType.VIRTUAL_CARD: [route(VirtualCardProvider(client, config, calls))],
            ProductType.GIFT_CERTIFICATE: [route(GiftCertificateProvider(client, config, calls))],
            ProductType.MOBILE_TOPUP: [route(TopUpProvider(client, config, calls))],
        })  # fmt: skip
        dispatch = Dispatch(
            DispatchConfig(kafka_bootstrap, f"{topic_prefix}dispatch", names(PAYOUTS_REQUESTED),
                           names(PAYOUTS_RESULTS), names(ORDERS_EVENTS), settle_timeout_s=10),
            router, CATALOG, VAULT, calls,
        )  # fmt: skip
        task = asyncio.create_task(dispatch.run())
        try:
            yield Harness(names, client)
        finally:
            await dispatch.stop()
            await task


async def test_one_order_of_each_type_is_paid_exactly_once(kafka_bootstrap: str, harness: Harness) -> None:
    names = harness.names
    await harness.sandbox.post("/_control/faults", json={"provider": "bank-a", "mode": "down"})
    card = VAULT.protect("4111111111111111")
    orders = [
        reserved(1, "card-transfer-eur", Recipient(RecipientKind.CARD, card_token=card.token, card_bin=card.bin,
                                                    card_last4=card.last4, card_ciphertext=card.ciphertext)),
        reserved(2, "virtual-card-eur", Recipient(RecipientKind.EMAIL, email="u1@example.com")),
        reserved(3, "zalando-25", Recipient(RecipientKind.EMAIL, email="u1@example.com")),
        reserved(4, "topup-de", Recipient(RecipientKind.PHONE, phone="+4915112345678")),
        reserved(5, "topup-de", Recipient(RecipientKind.PHONE, phone="+999123")),  # unknown operator
        reserved(6, "card-transfer-eur", Recipient(RecipientKind.PHONE, phone="+4915112345678")),  # no card
    ]  # fmt: skip
    async with producer(kafka_bootstrap) as p:
        for order in orders + orders[:2]:  # two redelivered: they must not be paid again
            event = messages.encode_order_event(events_for(order)[-1])
            await p.send_and_wait(names(PAYOUTS_REQUESTED), event, key=b"cmp_a")

    records = await read_topic(kafka_bootstrap, names(PAYOUTS_RESULTS), 2, len(orders) + 2, 60)
    results, providers = {}, {}
    for r in records:
        result = decode_payout_result(r.value)
        results.setdefault(result.order.id, set()).add((result.paid, result.reason))
        providers[result.order.id] = result.order.provider
    assert {oid: len(v) for oid, v in results.items()} == {o.id: 1 for o in orders}, results
    paid = {oid for oid, v in results.items() if next(iter(v))[0]}
    assert paid == {o.id for o in orders[:4]}
    assert "bank-b" in next(iter(results[orders[0].id]))[1]  # bank A was down
    assert "unknown_operator" in next(iter(results[orders[4].id]))[1]
    assert "cannot be paid" in next(iter(results[orders[5].id]))[1]
    # The order names the provider that executed (reports filter by it); none when none did.
    assert providers[orders[0].id] == "bank-b" and providers[orders[4].id] is not None
    assert providers[orders[5].id] is None
    executions = (await harness.sandbox.get("/_control/stats")).json()["executions"]
    assert sum(sum(v.values()) for v in executions.values()) == 4
    assert all(count == 1 for v in executions.values() for count in v.values())


async def test_deliveries_are_sealed_and_every_provider_call_is_logged_without_secrets(
    kafka_bootstrap: str, harness: Harness
) -> None:
    names = harness.names
    card = VAULT.protect("4111111111111111")
    orders = [
        reserved(11, "card-transfer-eur", Recipient(RecipientKind.CARD, card_token=card.token, card_bin=card.bin,
                                                     card_last4=card.last4, card_ciphertext=card.ciphertext)),
        reserved(12, "virtual-card-eur", Recipient(RecipientKind.EMAIL, email="u1@example.com")),
        reserved(13, "zalando-25", Recipient(RecipientKind.EMAIL, email="u1@example.com")),
    ]  # fmt: skip
    async with producer(kafka_bootstrap) as p:
        for order in orders:
            event = messages.encode_order_event(events_for(order)[-1])
            await p.send_and_wait(names(PAYOUTS_REQUESTED), event, key=b"cmp_a")

    results = {
        r.order.id: r
        for r in map(decode_payout_result, (x.value for x in await read_topic(
            kafka_bootstrap, names(PAYOUTS_RESULTS), 2, len(orders), 60)))
    }  # fmt: skip
    assert all(r.paid for r in results.values()), results
    assert results[orders[0].id].delivery is None  # a bank transfer delivers nothing to show
    card_details = orjson.loads(VAULT.reveal(results[orders[1].id].delivery or ""))
    gift = orjson.loads(VAULT.reveal(results[orders[2].id].delivery or ""))
    assert set(card_details) == {"pan", "expiry", "cvv"} and set(gift) == {"code"}
    cvv = card_details["cvv"]  # three digits: look for it as a JSON value, not in random hex
    secrets = ("4111111111111111", card_details["pan"], gift["code"], f'"{cvv}"', f'\\"{cvv}\\"')

    # Produced before dispatch committed its offsets: here as soon as the results are.
    logged = await read_topic(kafka_bootstrap, names(REQUESTS_LOG), 2, len(orders), 10)
    records = [messages.decode_request_log(r.value) for r in logged]
    assert {r.correlation_id for r in records} == {o.id for o in orders}
    assert all(r.direction == "outbound" and r.company_id == "cmp_a" for r in records)
    assert all(r.key == b"cmp_a" for r in logged)
    pays = {r.correlation_id: r for r in records if r.method == "POST"}
    assert set(pays) == {o.id for o in orders}
    assert all(r.status in (200, 201, 202) and r.duration_ms >= 0 for r in pays.values())
    assert pays[orders[0].id].path.startswith("/bank-a/") and "411111******1111" in pays[orders[0].id].request_body
    assert '"cvv":"[redacted]"' in pays[orders[1].id].response_body

    events = await read_topic(kafka_bootstrap, names(ORDERS_EVENTS), 2, len(orders), 10)
    for raw in [r.value for r in logged + events] + [
        x.value for x in await read_topic(kafka_bootstrap, names(PAYOUTS_RESULTS), 2, len(orders), 10)
    ]:
        for secret in secrets:
            assert secret.encode() not in raw, f"{secret!r} in clear on a topic"


async def test_a_slow_payout_holds_up_no_later_one(kafka_bootstrap: str, harness: Harness) -> None:
    # Bank A answers the first card transfer after 1.5 s; the top-up behind it in the same
    # partition (and poll) must not wait for it: its result comes out first.
    names = harness.names
    await harness.sandbox.post(
        "/_control/faults",
        json={"provider": "bank-a", "mode": "timeout_after_accept", "times": 1, "latency_ms": 1500},
    )
    card = VAULT.protect("4111111111111111")
    slow = reserved(21, "card-transfer-eur", Recipient(RecipientKind.CARD, card_token=card.token,
                     card_bin=card.bin, card_last4=card.last4, card_ciphertext=card.ciphertext))  # fmt: skip
    fast = reserved(22, "topup-de", Recipient(RecipientKind.PHONE, phone="+4915112345678"))
    async with producer(kafka_bootstrap) as p:
        for order in (slow, fast):
            await p.send(names(PAYOUTS_REQUESTED), messages.encode_order_event(events_for(order)[-1]), key=b"cmp_a")

    records = await read_topic(kafka_bootstrap, names(PAYOUTS_RESULTS), 2, 2, 60)
    results = [decode_payout_result(r.value) for r in records]
    assert [r.order.id for r in results] == [fast.id, slow.id]
    assert all(r.paid for r in results)
    executions = (await harness.sandbox.get("/_control/stats")).json()["executions"]
    assert sum(sum(v.values()) for v in executions.values()) == 2


async def test_a_result_the_broker_refuses_is_produced_again_not_skipped(
    kafka_bootstrap: str, harness: Harness
) -> None:
    """The soak's 136 orders paid at the bank and left `reserved`: the results' batch failed
    (after a broker outage) and dispatch committed past it, since the producer's flush() raises
    nothing. Here the broker refuses the results for real (a topic limit smaller than one
    result) until the limit is lifted; dispatch must not move its offset past the payout, and
    after the lift produces the result from the provider's answer, without paying again."""
    names = harness.names
    await max_message_bytes(kafka_bootstrap, names(PAYOUTS_RESULTS), 200)
    order = reserved(31, "topup-de", Recipient(RecipientKind.PHONE, phone="+4915112345678"))
    async with producer(kafka_bootstrap) as p:
        await p.send_and_wait(names(PAYOUTS_REQUESTED), messages.encode_order_event(events_for(order)[-1]), key=b"cmp_a")

    async def executions() -> int:
        stats = (await harness.sandbox.get("/_control/stats")).json()["executions"]
        return sum(sum(v.values()) for v in stats.values())

    for _ in range(100):
        if await executions():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # refused, and several commit intervals (0.2 s) later
    await max_message_bytes(kafka_bootstrap, names(PAYOUTS_RESULTS), 1_048_588)

    records = await read_topic(kafka_bootstrap, names(PAYOUTS_RESULTS), 2, 1, 30)
    result = decode_payout_result(records[0].value)
    assert (result.order.id, result.paid) == (order.id, True)
    assert await executions() == 1
