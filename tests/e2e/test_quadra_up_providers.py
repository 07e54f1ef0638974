"""`quadra up` with real dispatch: one order of each product type is paid over HTTP by the
in-process provider sandbox, exactly once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ORDERS = [
    ("card-transfer-eur", 1500, {"card_number": "4111111111111111"}, "bank-a"),
    ("virtual-card-eur", 2500, {"email": "winner@example.com"}, "cards"),
    ("amazon-de-25", 2500, {"email": "winner@example.com"}, "gifts"),
    ("topup-de", 1000, {"phone": "+4915112345678"}, "topup"),
]
# What each provider delivers, shown (decrypted) to the partner that owns the order.
DELIVERY_KEYS = {"bank-a": None, "cards": {"pan", "expiry", "cvv"}, "gifts": {"code"}, "topup": {"operator"}}


def test_each_product_type_is_paid_once_by_its_provider(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    sandbox_port = free_port()
    q = QuadraProcess(tmp_path / "var", free_port(), kafka_bootstrap, topic_prefix)
    q.env.update({"QUADRA_PAYOUTS": "providers", "QUADRA_SANDBOX_PORT": str(sandbox_port)})
    q.start()
    try:
        client = httpx.Client(base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {q.key}"})
        for n, (product, amount, recipient, provider) in enumerate(ORDERS):
            body = {"product_id": product, "amount": {"value": amount, "currency": "EUR"},
                    "recipient": recipient, "end_user": {"id": "user-7"}}  # fmt: skip
            response = client.post("/v1/orders", json=body,
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
            assert client.get(f"/v1/orders/{order['id']}").json()["delivery"] == delivered
            assert order["fee"]["currency"] == "EUR" and order["fee"]["value"] >= 0
        stats = httpx.get(f"http://127.0.0.1:{sandbox_port}/_control/stats").json()["executions"]
        assert {name: sum(v.values()) for name, v in stats.items()} == {
            "bank-a": 1, "cards": 1, "gifts": 1, "topup": 1,
        }  # fmt: skip
    finally:
        assert q.terminate() == 0, q.tail()
