"""`quadra up` with real dispatch: one order of each product type is paid over HTTP by the
in-process provider sandbox, exactly once, and the partner's endpoint receives signed
`order.completed` webhooks that the official `standardwebhooks` package verifies."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.quadra_process import QuadraProcess
from tests.conftest import free_port
from tests.streams.webhook_receiver import register_endpoint, serving_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ORDERS = [
    ("card-transfer-eur", 1500, {"card_number": "4111111111111111"}, "bank-a"),
    ("virtual-card-eur", 2500, {"email": "winner@example.com"}, "cards"),
    ("amazon-de-25", 2500, {"email": "winner@example.com"}, "gifts"),
    ("topup-de", 1000, {"phone": "+4915112345678"}, "topup"),
]
# What each provider delivers, shown (decrypted) to the partner that owns the order.
DELIVERY_KEYS = {"bank-a": None, "cards": {"pan", "expiry", "cvv"}, "gifts": {"code"}, "topup": {"operator"}}


async def test_each_product_type_is_paid_once_and_the_partner_is_told(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    q = QuadraProcess(tmp_path / "var", free_port(), kafka_bootstrap, topic_prefix)
    await asyncio.to_thread(q.start)
    try:
        async with serving_receiver() as partner, httpx.AsyncClient(
            base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {q.key}"}
        ) as client:
            secret = (await register_endpoint(client, partner))["secret"]
            orders = {}
            for n, (product, amount, recipient, provider) in enumerate(ORDERS):
                body = {"product_id": product, "amount": {"value": amount, "currency": "EUR"},
                        "recipient": recipient, "end_user": {"id": "user-7"}}  # fmt: skip
                response = await client.post("/v1/orders", json=body,
                                             headers={"Idempotency-Key": f"p-{n}", "Prefer": "wait=10"})  # fmt: skip
                assert response.status_code == 201, response.text
                order = response.json()
                assert order["status"] == "completed", order
                assert order["status_reason"] == f"paid by {provider}"
                assert [h["status"] for h in order["history"]] == [
                    "received", "approved", "reserved", "dispatched", "completed",
                ]  # fmt: skip
                delivered = order["delivery"]
                assert (set(delivered) if delivered else None) == DELIVERY_KEYS[provider], order
                assert (await client.get(f"/v1/orders/{order['id']}")).json()["delivery"] == delivered
                assert order["fee"]["currency"] == "EUR" and order["fee"]["value"] >= 0
                orders[order["id"]] = order
            stats = httpx.get(f"http://127.0.0.1:{q.env['QUADRA_SANDBOX_PORT']}/_control/stats").json()
            assert {name: sum(v.values()) for name, v in stats["executions"].items()} == {
                "bank-a": 1, "cards": 1, "gifts": 1, "topup": 1,
            }  # fmt: skip

            hooks = await partner.wait_for("/hooks", len(ORDERS), timeout=30)
            verifier = Webhook(secret)
            told = {}
            for hook in hooks:
                payload = verifier.verify(hook.body, hook.headers)  # raises unless signed by us
                assert payload["type"] == "order.completed"
                told[payload["data"]["id"]] = payload["data"]
            assert set(told) == set(orders)
            for order_id, data in told.items():
                # The gift code or card details reach the partner in the webhook too, once opened.
                assert data.get("delivery") == orders[order_id]["delivery"], data
                assert data["amount"] == orders[order_id]["amount"]
            assert len({h.headers["webhook-id"] for h in hooks}) == len(hooks)
            assert "4111111111111111" not in json.dumps([h.body.decode() for h in hooks])
    finally:
        assert await asyncio.to_thread(q.terminate) == 0, q.tail()
