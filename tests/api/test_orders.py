from __future__ import annotations

from domain.intake import Decision
from domain.orders import OrderStatus
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import order_body

PROBLEM = "application/problem+json"


def _headers(key: str = "k-1", **extra: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **extra}


async def test_create_returns_201_with_the_decided_order(api: ApiHarness) -> None:
    response = await api.client.post("/v1/orders", json=order_body(), headers=_headers())

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "approved"
    assert body["id"].startswith("ord_")
    assert response.headers["location"] == f"/v1/orders/{body['id']}"
    assert body["recipient"] == {
        "type": "card", "card_bin": "411111", "card_last4": "1111", "phone": None, "email": None,
    }  # fmt: skip
    assert "4111111111111111" not in response.text
    [request] = api.intake.submitted
    assert request.company_id == "cmp_a"
    assert request.recipient.card_ciphertext and request.recipient.card_token
    assert api.vault.reveal(request.recipient.card_ciphertext) == "4111111111111111"


async def test_same_key_same_body_replays_with_200_and_the_same_order(api: ApiHarness) -> None:
    first = await api.client.post("/v1/orders", json=order_body(), headers=_headers())
    # same content, other key order and card formatting: still the same body
    body = order_body(recipient={"card_number": "4111111111111111"})
    second = await api.client.post("/v1/orders", json=dict(reversed(body.items())), headers=_headers())

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]


async def test_same_key_other_body_is_409(api: ApiHarness) -> None:
    await api.client.post("/v1/orders", json=order_body(), headers=_headers())
    other = order_body(amount={"value": 1600, "currency": "EUR"})
    response = await api.client.post("/v1/orders", json=other, headers=_headers())

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/idempotency-key-reused")


async def test_keys_are_scoped_per_company(api: ApiHarness) -> None:
    mine = await api.client.post("/v1/orders", json=order_body(), headers=_headers())
    theirs = await api.client.post(
        "/v1/orders",
        json=order_body(amount={"value": 1600, "currency": "EUR"}),
        headers=_headers(Authorization=f"Bearer {OTHER_KEY}"),
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


async def test_get_returns_own_orders_only(api: ApiHarness) -> None:
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()

    mine = await api.client.get(f"/v1/orders/{created['id']}")
    theirs = await api.client.get(
        f"/v1/orders/{created['id']}", headers={"Authorization": f"Bearer {OTHER_KEY}"}
    )
    assert mine.status_code == 200 and mine.json() == created
    assert theirs.status_code == 404 and theirs.headers["content-type"] == PROBLEM


async def test_get_falls_back_to_the_reader_for_older_orders(api: ApiHarness) -> None:
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()
    order = api.intake.orders.pop(created["id"])
    api.reader.orders[order.id] = order

    response = await api.client.get(f"/v1/orders/{created['id']}")
    assert response.status_code == 200 and response.json()["id"] == created["id"]


async def test_get_of_an_order_another_process_just_created_waits_for_this_feed(api: ApiHarness) -> None:
    """Behind a load balancer the POST and the GET reach two API processes: the second has not
    read the order from its feed yet, and the sink has not stored it. The GET waits for the
    feed to catch up instead of answering 404."""
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()
    api.intake.in_transit[created["id"]] = api.intake.orders.pop(created["id"])

    response = await api.client.get(f"/v1/orders/{created['id']}")
    assert response.status_code == 200 and response.json() == created
    assert api.intake.catch_ups == 1


async def test_a_known_order_does_not_wait_and_an_unknown_one_is_404_after_one_catch_up(api: ApiHarness) -> None:
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()
    assert (await api.client.get(f"/v1/orders/{created['id']}")).status_code == 200
    assert api.intake.catch_ups == 0
    other = created["id"][:-1] + ("0" if created["id"][-1] != "0" else "1")  # well-formed, unknown
    missing = await api.client.get(f"/v1/orders/{other}")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert api.intake.catch_ups == 1


async def test_get_shows_the_read_models_newer_state_when_the_feed_lags(api: ApiHarness) -> None:
    """The soak's stale feed: the process's feed last saw `dispatched`, the read model (the
    sink's ClickHouse rows) has `completed`; the partner must see `completed`."""
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()
    seen = api.intake.orders[created["id"]]
    at = seen.updated_at
    dispatched = seen.transition(OrderStatus.DISPATCHED, "", at)
    api.intake.orders[seen.id] = dispatched
    api.reader.orders[seen.id] = dispatched.transition(OrderStatus.COMPLETED, "", at)

    response = await api.client.get(f"/v1/orders/{created['id']}")
    assert response.status_code == 200 and response.json()["status"] == "completed"


async def test_get_keeps_the_feeds_state_when_it_is_newer_or_final(api: ApiHarness) -> None:
    created = (await api.client.post("/v1/orders", json=order_body(), headers=_headers())).json()
    seen = api.intake.orders[created["id"]]
    api.reader.orders[seen.id] = seen  # the sink is behind: still the first version
    api.intake.orders[seen.id] = seen.transition(OrderStatus.DISPATCHED, "", seen.updated_at)
    assert (await api.client.get(f"/v1/orders/{created['id']}")).json()["status"] == "dispatched"


async def test_prefer_wait_is_applied_and_reported(api: ApiHarness) -> None:
    # a declined order is at rest at once: the wait ends with 201
    api.intake.decide = lambda order: Decision(OrderStatus.DECLINED, "blocked end user")
    response = await api.client.post(
        "/v1/orders", json=order_body(), headers=_headers(Prefer="wait=30")
    )
    assert response.status_code == 201
    assert response.headers["preference-applied"] == "wait=10"  # capped at the maximum


async def test_an_order_still_moving_after_the_wait_is_202(api: ApiHarness) -> None:
    api.intake.decide = lambda order: Decision(OrderStatus.RESERVED, "moving on")
    waited = await api.client.post(
        "/v1/orders", json=order_body(), headers=_headers(Prefer="wait=0.1")
    )
    assert waited.status_code == 202
    assert waited.json()["status"] == "reserved"
    assert waited.headers["preference-applied"] == "wait=0.1"
    # without a wait preference the answer is immediate: 200 for the replay, current status
    replay = await api.client.post("/v1/orders", json=order_body(), headers=_headers())
    assert replay.status_code == 200 and replay.json()["status"] == "reserved"


async def test_intake_silence_is_503_with_retry_after_and_retry_is_safe(api: ApiHarness) -> None:
    api.intake.answering = False
    response = await api.client.post("/v1/orders", json=order_body(), headers=_headers())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/intake-unavailable")


async def test_every_request_is_logged_sanitized(api: ApiHarness) -> None:
    await api.client.post(
        "/v1/orders", json=order_body(), headers=_headers(**{"X-Request-Id": "corr-123"})
    )
    await api.client.get("/v1/orders/ord_" + "0" * 32)

    created, missing = api.log.records
    assert (created.status, missing.status) == (201, 404)
    assert created.company_id == "cmp_a" and created.correlation_id == "corr-123"
    assert created.idempotency_key == "k-1"
    assert "411111******1111" in created.request_body
    for record in api.log.records:
        text = repr(record)
        assert "4111111111111111" not in text and "4111 1111 1111 1111" not in text
        assert "AAAAAAAAAAAA" not in text  # the API key
    assert missing.error_type.endswith("/not-found")
