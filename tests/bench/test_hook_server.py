"""The benches' webhook endpoints (bench/hook_server.py) over real HTTP, keep-alive included."""

from __future__ import annotations

import httpx

from bench.pipeline.observe import WebhookReceiver
from bench.soak.webhooks import FlakyWebhookReceiver


def _delivery(order_id: str, event_type: str = "order.completed") -> bytes:
    return f'{{"type": "{event_type}", "data": {{"id": "{order_id}"}}}}'.encode()


async def test_the_soak_endpoint_accepts_refuses_while_failing_and_counts_redeliveries() -> None:
    hooks = FlakyWebhookReceiver()
    await hooks.start()
    try:
        async with httpx.AsyncClient(base_url=hooks.url.removesuffix("/hooks")) as client:
            sent = [("w1", "ord_1"), ("w1", "ord_1")]  # one id delivered again after its 2xx
            answers = [(await client.post("/hooks", content=_delivery(o), headers={"webhook-id": w})).status_code
                       for w, o in sent]  # fmt: skip
            hooks.failing = True
            answers.append((await client.post("/hooks", content=_delivery("ord_2"), headers={"webhook-id": "w2"})).status_code)
    finally:
        await hooks.stop()
    assert answers == [204, 204, 500]
    c = hooks.counts
    assert (c.deliveries, c.refused, c.redelivered_after_2xx) == (3, 1, 1)
    assert c.accepted_ids == {"w1"} and c.events == {("ord_1", "order.completed")}


async def test_the_pipeline_endpoint_notes_each_orders_first_arrival() -> None:
    hooks = WebhookReceiver()
    await hooks.start()
    try:
        async with httpx.AsyncClient() as client:
            for order_id in ("ord_1", "ord_2", "ord_1"):
                assert (await client.post(hooks.url, content=_delivery(order_id))).status_code == 204
    finally:
        await hooks.stop()
    assert hooks.deliveries == 3 and set(hooks.received) == {"ord_1", "ord_2"}
