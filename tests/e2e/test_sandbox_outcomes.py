"""Sandbox magic values through `quadra up` (docs/sandbox.md): one order per magic card, phone and
amount with a `qk_test_` key, each ending as documented, with the documented status history.

"Timeout then success" really times out: the provider sandbox answers after 8 s, dispatch gives
up after its 5 s provider timeout and learns from the status query that the payout was made."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from domain.sandbox_magic import MAGIC_AMOUNTS, MAGIC_CARDS, MAGIC_PHONES, MagicOutcome
from tests.builders import card_number
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

PAID = ["received", "approved", "reserved", "dispatched", "completed"]
# What the partner sees for each outcome: the status history, and which step says why.
HISTORY: dict[MagicOutcome, tuple[list[str], str]] = {
    MagicOutcome.SUCCESS: (PAID, "approved"),
    MagicOutcome.TIMEOUT_THEN_SUCCESS: (PAID, "approved"),
    MagicOutcome.PROVIDER_DECLINE: (["received", "approved", "reserved", "dispatched", "failed"], "approved"),
    MagicOutcome.REVIEW: (["received", "in_review"], "in_review"),
    MagicOutcome.FRAUD_DECLINE: (["received", "declined"], "declined"),
}


def cases(run: str) -> list[tuple[str, dict[str, Any], MagicOutcome]]:
    """(what carries the value, order body, outcome) for every magic value."""
    plain_card = card_number(int(uuid.uuid4().int % 10**9))  # BIN 411111: no magic of its own
    out: list[tuple[str, dict[str, Any], MagicOutcome]] = []
    for number, outcome in MAGIC_CARDS.items():
        out.append(("card", {"product_id": "card-transfer-eur", "amount": {"value": 1500, "currency": "EUR"},
                             "recipient": {"card_number": number}}, outcome))  # fmt: skip
    for phone, outcome in MAGIC_PHONES.items():
        out.append(("phone", {"product_id": "topup-de", "amount": {"value": 1500, "currency": "EUR"},
                              "recipient": {"phone": phone}}, outcome))  # fmt: skip
    for value, outcome in MAGIC_AMOUNTS.items():
        out.append(("amount", {"product_id": "card-transfer-eur", "amount": {"value": value, "currency": "EUR"},
                               "recipient": {"card_number": plain_card}}, outcome))  # fmt: skip
    for n, (_, body, _) in enumerate(out):
        body.update(end_user={"id": f"sandbox-e2e-{run}-{n}"}, external_id=f"sandbox-e2e-{run}-{n}")
    return out


async def final(client: httpx.AsyncClient, body: dict[str, Any], deadline: float) -> dict[str, Any]:
    """The order once it rests (completed, failed, declined, in_review)."""
    r = await client.post("/v1/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), "Prefer": "wait=10"})
    assert r.status_code in (201, 202), r.text
    order = r.json()
    while order["status"] not in ("completed", "failed", "declined", "in_review", "rejected"):
        assert time.monotonic() < deadline, order
        await asyncio.sleep(0.5)
        order = (await client.get(f"/v1/orders/{order['id']}")).json()
    return order


async def test_every_magic_value_ends_as_documented(partner_stack: QuadraProcess) -> None:
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=partner_stack.url, timeout=30,
                                 headers={"Authorization": f"Bearer {partner_stack.key}"}) as client:  # fmt: skip
        todo = cases(run)
        orders = await asyncio.gather(*(final(client, body, started + 35) for _, body, _ in todo))

    for (source, _, outcome), order in zip(todo, orders):
        what = f"magic {source} for {outcome.label}"
        statuses, because = HISTORY[outcome]
        assert order["sandbox"] is True
        assert [h["status"] for h in order["history"]] == statuses, (what, order["history"])
        decided = next(h for h in order["history"] if h["status"] == because)
        assert decided["reason"] == f"sandbox: {what}", (what, order["history"])
        if outcome is MagicOutcome.PROVIDER_DECLINE:
            assert order["status_reason"].endswith("provider_decline"), order["status_reason"]
        if outcome is MagicOutcome.TIMEOUT_THEN_SUCCESS:
            sent, paid = order["history"][-2]["at"], order["history"][-1]["at"]
            assert _seconds(paid) - _seconds(sent) >= 4.5, (sent, paid)  # dispatch waited it out
    assert time.monotonic() - started < 40


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
