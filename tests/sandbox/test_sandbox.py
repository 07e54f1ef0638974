"""Provider rules of the sandbox (docs/provider-sandbox-api.md): pay, status, idempotency."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from sandbox.validation import luhn_valid
from tests.sandbox.support import (
    BLOCKED_CARD,
    GOOD_CARD,
    PATHS,
    body_for,
    eur,
    executions,
    pay,
    status_of,
)


def test_fixture_cards_are_what_the_tests_assume() -> None:
    assert luhn_valid(GOOD_CARD) and luhn_valid(BLOCKED_CARD)
    assert not luhn_valid("4111111111111112")


HAPPY = [
    ("bank-a", "accepted", set()),
    ("bank-b", "accepted", set()),
    ("cards", "completed", {"pan", "expiry", "cvv"}),
    ("gifts", "completed", {"code"}),
    ("topup", "completed", {"operator"}),
]


@pytest.mark.parametrize(("provider", "status", "detail_keys"), HAPPY)
async def test_happy_path(
    client: httpx.AsyncClient, provider: str, status: str, detail_keys: set[str]
) -> None:
    body = body_for(provider)
    r = await pay(client, provider, body)
    assert r.status_code == 201
    out = r.json()
    assert set(out) == {
        "order_id",
        "provider_ref",
        "status",
        "decline_code",
        "decline_reason",
        "details",
    }
    assert (out["order_id"], out["status"], out["decline_code"]) == (body["order_id"], status, None)
    assert set(out["details"]) == detail_keys
    if provider == "cards":
        assert luhn_valid(out["details"]["pan"])
    s = await status_of(client, provider, body["order_id"])
    assert s.status_code == 200 and s.json()["provider_ref"] == out["provider_ref"]
    assert await executions(client) == {provider: {body["order_id"]: 1}}


@pytest.mark.parametrize("provider", list(PATHS))
async def test_idempotent_repeat_and_mismatch(client: httpx.AsyncClient, provider: str) -> None:
    body = body_for(provider)
    first = await pay(client, provider, body)
    again = await pay(
        client, provider, dict(reversed(list(body.items())))
    )  # key order is irrelevant
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = {**body, "extra": "changed"}
    r = await pay(client, provider, other)
    assert (r.status_code, r.json()) == (409, {"error": "idempotency_mismatch"})
    assert await executions(client) == {provider: {body["order_id"]: 1}}


@pytest.mark.parametrize("provider", list(PATHS))
@pytest.mark.parametrize("auth", [None, "Bearer live-123", "Basic sandbox-1", "sandbox-1"])
async def test_auth_required(client: httpx.AsyncClient, provider: str, auth: str | None) -> None:
    body = body_for(provider)
    headers = {"Idempotency-Key": body["order_id"]}
    if auth is not None:
        headers["Authorization"] = auth
    r = await pay(client, provider, body, headers)
    assert (r.status_code, r.json()) == (401, {"error": "unauthorized"})
    s = await client.get(f"{PATHS[provider]}/{body['order_id']}")
    assert s.status_code == 401
    assert await executions(client) == {}


DECLINES = [
    ("bank-a", {"card_number": "4111111111111112"}, "invalid_card"),
    ("bank-b", {"card_number": "41111111"}, "invalid_card"),
    ("bank-a", {"card_number": "4111-1111-1111-1111"}, "invalid_card"),
    ("bank-b", {"card_number": BLOCKED_CARD}, "card_not_supported"),
    ("bank-a", {"amount": eur(1_000_001)}, "limit_exceeded"),
    ("topup", {"phone": "+33612345678"}, "unknown_operator"),
]


@pytest.mark.parametrize(("provider", "overrides", "code"), DECLINES)
async def test_decline_rules(
    client: httpx.AsyncClient, provider: str, overrides: dict[str, Any], code: str
) -> None:
    body = body_for(provider, **overrides)
    r = await pay(client, provider, body)
    assert r.status_code == 201
    out = r.json()
    assert (out["status"], out["decline_code"]) == ("declined", code) and out["decline_reason"]
    assert (await pay(client, provider, body)).json() == out  # a decline is remembered too
    assert (await status_of(client, provider, body["order_id"])).json()["status"] == "declined"
    assert await executions(client) == {}  # no money moved


async def test_bank_limit_is_inclusive(client: httpx.AsyncClient) -> None:
    r = await pay(client, "bank-a", body_for("bank-a", amount=eur(1_000_000)))
    assert r.json()["status"] == "accepted"


async def test_gift_stock_exhaustion(client: httpx.AsyncClient) -> None:
    r = await client.post("/_control/stock", json={"product_code": "AMAZON-DE", "codes": 1})
    assert r.status_code == 200
    first, second = body_for("gifts"), body_for("gifts")
    assert (await pay(client, "gifts", first)).status_code == 201
    r = await pay(client, "gifts", second)
    assert (r.status_code, r.json()) == (409, {"error": "out_of_stock"})
    assert (await status_of(client, "gifts", second["order_id"])).status_code == 404
    assert await executions(client) == {"gifts": {first["order_id"]: 1}}
    # Other products keep their own stock; a restock lets the refused order go through.
    assert (await pay(client, "gifts", body_for("gifts", product_code="STEAM"))).status_code == 201
    await client.post("/_control/stock", json={"product_code": "AMAZON-DE", "codes": 5})
    assert (await pay(client, "gifts", second)).status_code == 201


async def test_gift_codes_are_distinct(client: httpx.AsyncClient) -> None:
    codes = {
        (await pay(client, "gifts", body_for("gifts"))).json()["details"]["code"] for _ in range(5)
    }
    assert len(codes) == 5


@pytest.mark.parametrize(
    ("phone", "operator"),
    [
        ("+491511234567", "telekom-de"),
        ("+491711234567", "vodafone-de"),
        ("+447700900123", "ee-uk"),
        ("+12025550123", "att-us"),
    ],
)
async def test_topup_operator_by_prefix(
    client: httpx.AsyncClient, phone: str, operator: str
) -> None:
    r = await pay(client, "topup", body_for("topup", phone=phone))
    assert r.json()["details"] == {"operator": operator}


@pytest.mark.parametrize("provider", ["bank-a", "bank-b"])
async def test_bank_completes_asynchronously(client: httpx.AsyncClient, provider: str) -> None:
    body = body_for(provider)
    assert (await pay(client, provider, body)).json()["status"] == "accepted"
    assert (await status_of(client, provider, body["order_id"])).json()["status"] == "accepted"
    await asyncio.sleep(0.08)
    done = (await status_of(client, provider, body["order_id"])).json()
    assert (done["status"], done["decline_code"]) == ("completed", None)


async def test_status_unknown_order(client: httpx.AsyncClient) -> None:
    r = await status_of(client, "cards", "nope")
    assert (r.status_code, r.json()) == (404, {"error": "not_found"})
