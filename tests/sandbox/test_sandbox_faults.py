"""Sandbox fault injection, control endpoints and request errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from sandbox import SandboxConfig, create_sandbox_app
from tests.sandbox.support import (
    AUTH,
    PATHS,
    body_for,
    eur,
    executions,
    fault,
    pay,
    status_of,
)


@pytest.mark.parametrize(("mode", "code"), [("down", 503), ("http_500", 500)])
async def test_fault_answers_without_executing(
    client: httpx.AsyncClient, mode: str, code: int
) -> None:
    await fault(client, "bank-a", mode, times=1)
    body = body_for("bank-a")
    r = await pay(client, "bank-a", body)
    assert r.status_code == code and "error" in r.json()
    assert (await status_of(client, "bank-a", body["order_id"])).status_code == 404
    assert await executions(client) == {}
    assert (await pay(client, "bank-a", body)).status_code == 201  # `times` used up
    assert (
        await pay(client, "bank-b", body_for("bank-b"))
    ).status_code == 201  # other providers unaffected


async def test_fault_times_limits_and_null_persists(client: httpx.AsyncClient) -> None:
    await fault(client, "cards", "http_500", times=2)
    codes = [(await pay(client, "cards", body_for("cards"))).status_code for _ in range(3)]
    assert codes == [500, 500, 201]
    await fault(client, "cards", "down")  # times null: until cleared
    codes = [(await pay(client, "cards", body_for("cards"))).status_code for _ in range(3)]
    assert codes == [503, 503, 503]
    assert (await client.delete("/_control/faults")).status_code == 200
    assert (await pay(client, "cards", body_for("cards"))).status_code == 201


async def test_timeout_after_accept_executes_once(client: httpx.AsyncClient) -> None:
    await fault(client, "topup", "timeout_after_accept", latency_ms=300)  # until cleared
    body = body_for("topup")
    for _ in range(2):  # the client times out, then retries the same order id
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pay(client, "topup", body), timeout=0.05)
    truth = await status_of(client, "topup", body["order_id"])
    assert truth.status_code == 200 and truth.json()["status"] == "completed"
    await client.delete("/_control/faults")
    retry = await pay(client, "topup", body)
    assert (retry.status_code, retry.json()) == (200, truth.json())
    assert await executions(client) == {"topup": {body["order_id"]: 1}}


async def test_timeout_after_accept_answers_after_latency(client: httpx.AsyncClient) -> None:
    await fault(client, "gifts", "timeout_after_accept", times=1, latency_ms=20)
    r = await pay(client, "gifts", body_for("gifts"))
    assert r.status_code == 201 and r.json()["status"] == "completed"


async def test_decline_fault(client: httpx.AsyncClient) -> None:
    await fault(client, "bank-b", "decline", times=1)
    body = body_for("bank-b")
    out = (await pay(client, "bank-b", body)).json()
    assert (out["status"], out["decline_code"]) == ("declined", "provider_decline")
    assert (await pay(client, "bank-b", body)).json() == out  # the decline sticks to the order id
    later = body_for("bank-b")
    assert (await pay(client, "bank-b", later)).json()["status"] == "accepted"  # times=1 used up
    assert await executions(client) == {
        "bank-b": {later["order_id"]: 1}
    }  # the decline moved no money


async def test_stats_count_per_provider_and_order(client: httpx.AsyncClient) -> None:
    bodies = {p: [body_for(p), body_for(p)] for p in PATHS}
    for p, pair in bodies.items():
        for b in pair:
            await pay(client, p, b)
            await pay(client, p, b)  # repeats are not executions
    assert await executions(client) == {
        p: {b["order_id"]: 1 for b in pair} for p, pair in bodies.items()
    }


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    headers = {**AUTH, "Idempotency-Key": "x", "Content-Type": "application/json"}
    r = await client.post(PATHS["cards"], content=b"{not json", headers=headers)
    assert (r.status_code, r.json()) == (400, {"error": "invalid_json"})
    r = await client.post("/_control/faults", content=b"\xff\xfe")
    assert (r.status_code, r.json()) == (400, {"error": "invalid_json"})


WRONG_TYPES = [
    ("bank-a", {"amount": {"value": "5000", "currency": "EUR"}}),
    ("bank-a", {"amount": {"value": True, "currency": "EUR"}}),
    ("bank-b", {"amount": eur(0)}),
    ("bank-b", {"amount": {"value": 100}}),
    ("bank-a", {"card_number": 4111111111111111}),
    ("bank-a", {"reference": None}),
    ("cards", {"holder_email": 7}),
    ("cards", {"amount": 25.0}),
    ("gifts", {"product_code": ""}),
    ("gifts", {"denomination": None}),
    ("topup", {"phone": 491511234567}),
]


@pytest.mark.parametrize(("provider", "overrides"), WRONG_TYPES)
async def test_wrong_types(
    client: httpx.AsyncClient, provider: str, overrides: dict[str, Any]
) -> None:
    r = await pay(client, provider, body_for(provider, **overrides))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert await executions(client) == {}


async def test_body_and_key_shape(client: httpx.AsyncClient) -> None:
    r = await client.post(PATHS["cards"], json=[1], headers={**AUTH, "Idempotency-Key": "x"})
    assert r.status_code == 422
    body = body_for("cards")
    r = await pay(client, "cards", body, AUTH)  # no Idempotency-Key
    assert (r.status_code, r.json()) == (400, {"error": "missing_idempotency_key"})
    r = await pay(client, "cards", body, {**AUTH, "Idempotency-Key": "other"})
    assert r.status_code == 422
    r = await pay(client, "cards", {**body, "order_id": 5}, {**AUTH, "Idempotency-Key": "5"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("POST", "/bank-c/v1/transfers", 404),
        ("GET", "/cards/v2/cards/x", 404),
        ("GET", "/", 404),
        ("GET", "/cards/v1/cards", 405),
        ("PUT", "/_control/faults", 405),
    ],
)
async def test_unknown_paths_are_json(
    client: httpx.AsyncClient, method: str, path: str, code: int
) -> None:
    r = await client.request(method, path, headers=AUTH)
    assert r.status_code == code and "error" in r.json()


@pytest.mark.parametrize(
    "payload",
    [
        {"provider": "bank-c", "mode": "down"},
        {"provider": "bank-a", "mode": "explode"},
        {"provider": "bank-a", "mode": "down", "times": 0},
        {"provider": "bank-a", "mode": "down", "latency_ms": "1"},
        {"mode": "down"},
    ],
)
async def test_control_fault_validation(client: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    r = await client.post("/_control/faults", json=payload)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "payload", [{"product_code": "X", "codes": -1}, {"product_code": "X"}, {"codes": 3}]
)
async def test_control_stock_validation(client: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    r = await client.post("/_control/stock", json=payload)
    assert r.status_code == 422


async def test_apps_do_not_share_state(client: httpx.AsyncClient) -> None:
    await pay(client, "cards", body_for("cards"))
    other = create_sandbox_app(SandboxConfig())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other), base_url="http://s"
    ) as c2:
        assert await executions(c2) == {}
