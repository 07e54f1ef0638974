"""The client package against a running `quadra up` (the shared `partner_stack`): catalog →
order with `Prefer: wait` → get → list → balance; replays; a signed webhook verified with
`verify_webhook`."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from quadra_client import AsyncQuadra, ConflictError, NotFoundError, Order, OrderBody, Quadra, verify_webhook
from tests.e2e.quadra_process import QuadraProcess
from tests.streams.webhook_receiver import Receiver, serving_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]
GIFT = "amazon-de-25"  # a fixed 25.00 EUR gift certificate sent by email


def gift_order(tag: str) -> OrderBody:
    return {
        "product_id": GIFT, "amount": {"value": 2500, "currency": "EUR"},
        "recipient": {"email": f"{tag}@example.com"}, "end_user": {"id": f"client-{tag}"},
        "external_id": f"client-{tag}",
    }  # fmt: skip


def eventually_listed(quadra: Quadra, end_user_id: str, timeout: float = 20) -> list[Order]:
    """`GET /v1/orders` reads ClickHouse, which the sink fills within moments."""
    deadline = time.monotonic() + timeout
    while not (found := list(quadra.iter_orders(end_user_id=end_user_id))):
        assert time.monotonic() < deadline, f"no order of {end_user_id} listed in {timeout}s"
        time.sleep(0.2)
    return found


async def delivery_about(partner: Receiver, path: str, secret: str, order_id: str, timeout: float = 30) -> dict[str, object]:
    """The verified payload about `order_id`: the endpoint may first get earlier orders' events
    (the session's other tests), still queued for this company when it was set."""
    deadline = time.monotonic() + timeout
    while True:
        for hook in partner.ok(path):
            payload = verify_webhook(secret, hook.headers, hook.body)  # raises unless Quadra signed it
            data = payload.get("data")
            if isinstance(data, dict) and data.get("id") == order_id:
                return payload
        assert time.monotonic() < deadline, f"no webhook about {order_id} in {timeout}s"
        await asyncio.sleep(0.1)


def test_catalog_order_status_listing_and_balance(partner_stack: QuadraProcess) -> None:
    tag = uuid.uuid4().hex[:12]
    with Quadra(partner_stack.key, partner_stack.url) as quadra:
        product = next(p for p in quadra.catalog() if p.id == GIFT)
        assert product.denominations == (2500,) and product.admits(2500)
        before = quadra.balance().in_currency("EUR")

        order = quadra.create_order(gift_order(tag), idempotency_key=f"client-{tag}", wait=10)
        assert order.status == "completed" and order.is_final, order
        assert order.delivery is not None and "code" in order.delivery  # the gift code, for its owner
        assert order.amount.value == 2500 and order.fee.currency == "EUR"

        fetched = quadra.get_order(order.id)
        assert (fetched.id, fetched.status, fetched.delivery) == (order.id, "completed", order.delivery)
        listed = eventually_listed(quadra, f"client-{tag}")
        assert [o.id for o in listed] == [order.id] and listed[0].external_id == f"client-{tag}"

        charged = order.amount.value + order.fee.value
        after = quadra.balance().in_currency("EUR")
        assert before.available - after.available == charged, (before, after)
        assert after.spendable == after.available + after.credit_limit


def test_a_replay_answers_the_same_order_and_another_body_conflicts(partner_stack: QuadraProcess) -> None:
    tag = uuid.uuid4().hex[:12]
    with Quadra(partner_stack.key, partner_stack.url) as quadra:
        first = quadra.create_order(gift_order(tag), idempotency_key=f"replay-{tag}", wait=10)
        again = quadra.create_order(gift_order(tag), idempotency_key=f"replay-{tag}")
        assert again.id == first.id and again.status == first.status
        other = gift_order(tag)
        other["recipient"] = {"email": f"someone-else-{tag}@example.com"}
        with pytest.raises(ConflictError) as raised:
            quadra.create_order(other, idempotency_key=f"replay-{tag}")
        assert raised.value.slug == "idempotency-key-reused" and raised.value.request_id
        with pytest.raises(NotFoundError):
            quadra.get_order("ord_" + "0" * 32)


async def test_a_webhook_arrives_and_verify_webhook_accepts_it(partner_stack: QuadraProcess) -> None:
    tag = uuid.uuid4().hex[:12]
    async with serving_receiver() as partner, AsyncQuadra(partner_stack.key, partner_stack.url) as quadra:
        endpoint = await quadra.set_webhook_endpoint(
            f"{partner.url.replace('127.0.0.1', 'localhost')}/client-{tag}", ["order.completed"]
        )
        assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
        try:
            order = await quadra.create_order(gift_order(tag), wait=10)
            assert order.status == "completed"
            payload = await delivery_about(partner, f"/client-{tag}", endpoint.secret, order.id)
            assert payload["type"] == "order.completed"
        finally:
            await quadra.delete_webhook_endpoint()  # later tests of the session must not post here
