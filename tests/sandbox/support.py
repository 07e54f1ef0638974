"""Helpers for the sandbox tests: valid bodies per provider and thin HTTP wrappers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

AUTH = {"Authorization": "Bearer sandbox-test"}
PATHS = {
    "bank-a": "/bank-a/v1/transfers",
    "bank-b": "/bank-b/v1/transfers",
    "cards": "/cards/v1/cards",
    "gifts": "/gifts/v1/certificates",
    "topup": "/topup/v1/topups",
}
GOOD_CARD = "4111111111111111"
BLOCKED_CARD = "4000000000000002"


def eur(value: int) -> dict[str, Any]:
    return {"value": value, "currency": "EUR"}


def body_for(provider: str, **overrides: Any) -> dict[str, Any]:
    """A valid pay body for the provider, with a fresh order id unless overridden."""
    order_id = f"ord-{uuid.uuid4().hex[:10]}"
    bodies: dict[str, dict[str, Any]] = {
        "bank-a": {"amount": eur(5000), "card_number": GOOD_CARD, "reference": "payout"},
        "bank-b": {"amount": eur(5000), "card_number": GOOD_CARD, "reference": "payout"},
        "cards": {"amount": eur(2500), "holder_email": "a@example.com"},
        "gifts": {"product_code": "AMAZON-DE", "denomination": eur(2500)},
        "topup": {"phone": "+491511234567", "amount": eur(1500)},
    }
    return {"order_id": order_id, **bodies[provider], **overrides}


async def pay(
    c: httpx.AsyncClient,
    provider: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if headers is None:
        headers = {**AUTH, "Idempotency-Key": body["order_id"]}
    return await c.post(PATHS[provider], json=body, headers=headers)


async def status_of(c: httpx.AsyncClient, provider: str, order_id: str) -> httpx.Response:
    return await c.get(f"{PATHS[provider]}/{order_id}", headers=AUTH)


async def executions(c: httpx.AsyncClient) -> dict[str, dict[str, int]]:
    r = await c.get("/_control/stats")
    assert r.status_code == 200
    counts: dict[str, dict[str, int]] = r.json()["executions"]
    return counts


async def fault(c: httpx.AsyncClient, provider: str, mode: str, **extra: Any) -> None:
    r = await c.post("/_control/faults", json={"provider": provider, "mode": mode, **extra})
    assert r.status_code == 200, r.text
