"""The order output: its fee, and what the provider delivered, in clear for its owner only."""

from __future__ import annotations

from dataclasses import replace

import orjson

from domain.orders import Order, OrderStatus
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import T0, order_body

CARD = {"pan": "5555555555554444", "expiry": "12/29", "cvv": "987"}
GIFT = {"code": "ZAL-7Q2X99ZZ"}


async def _completed(api: ApiHarness, delivery: dict[str, str], key: str = "k-1") -> Order:
    """An order created through the API, then completed with a sealed delivery, as the ledger does."""
    created = await api.client.post("/v1/orders", json=order_body(), headers={"Idempotency-Key": key})
    order = api.intake.orders[created.json()["id"]]
    for status in (OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED):
        order = order.transition(status, status.value, T0)
    sealed = api.vault.seal(orjson.dumps(delivery).decode())
    api.intake.orders[order.id] = completed = replace(order, delivery=sealed)
    return completed


async def test_the_owner_sees_the_fee_and_the_delivery_in_clear(api: ApiHarness) -> None:
    order = await _completed(api, CARD)
    body = (await api.client.get(f"/v1/orders/{order.id}")).json()
    assert body["status"] == "completed"
    assert body["delivery"] == CARD
    assert body["fee"] == {"value": order.fee, "currency": "EUR"}
    assert order.delivery is not None and CARD["pan"] not in order.delivery  # stored sealed


async def test_an_order_without_delivery_shows_none(api: ApiHarness) -> None:
    created = await api.client.post("/v1/orders", json=order_body(), headers={"Idempotency-Key": "k-1"})
    assert created.json()["delivery"] is None
    assert created.json()["fee"]["currency"] == "EUR" and created.json()["fee"]["value"] >= 0


async def test_another_company_never_sees_it(api: ApiHarness) -> None:
    order = await _completed(api, GIFT)
    other = await api.client.get(f"/v1/orders/{order.id}", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert other.status_code == 404
    assert GIFT["code"] not in other.text


async def test_the_waiting_post_answers_with_the_delivery(api: ApiHarness) -> None:
    order = await _completed(api, GIFT)
    waited = await api.client.post(
        "/v1/orders", json=order_body(), headers={"Idempotency-Key": "k-1", "Prefer": "wait=1"}
    )
    assert waited.status_code == 200 and waited.json()["id"] == order.id
    assert waited.json()["delivery"] == GIFT


async def test_the_request_log_never_holds_the_delivery(api: ApiHarness) -> None:
    card = await _completed(api, CARD, key="k-1")
    gift = await _completed(api, GIFT, key="k-2")
    for order in (card, gift):
        response = await api.client.get(f"/v1/orders/{order.id}")
        assert response.json()["delivery"] is not None
    await api.client.post("/v1/orders", json=order_body(), headers={"Idempotency-Key": "k-2", "Prefer": "wait=1"})
    logged = [r for r in api.log.records if r.response_body.startswith("{")]
    assert sum('"delivery":"[REDACTED]"' in r.response_body for r in logged) == 3
    for record in api.log.records:
        text = repr(record)
        for secret in (CARD["pan"], CARD["expiry"], f'"{CARD["cvv"]}"', GIFT["code"]):
            assert secret not in text, f"{secret!r} in the request log"
