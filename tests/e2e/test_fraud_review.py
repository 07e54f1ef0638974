"""Issue 6, acceptance 3, through `quadra up` and the real broker: a burst of payouts from many
end users to one card is held for review by the default rules; an analyst declines it through
the staff API; the partner receives a verified `fraud.suspected` webhook; the next payout to
that card is declined by the list, and the partner's fraud reports show the report."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import free_port
from tests.e2e.quadra_process import QuadraProcess
from tests.streams.webhook_receiver import serving_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

MULE_CARD = "4111 1111 1111 1111"
ANALYST, PASSWORD = "ana@quadra.example", "a-long-analyst-password"


def payout(n: int, user: str, card: str = MULE_CARD) -> dict[str, object]:
    return {"product_id": "card-transfer-eur", "amount": {"value": 2000 + n, "currency": "EUR"},
            "recipient": {"card_number": card}, "end_user": {"id": user}}  # fmt: skip


async def test_a_mule_card_burst_is_held_declined_reported_and_then_blocked(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    q = QuadraProcess(tmp_path / "var", free_port(), kafka_bootstrap, topic_prefix)
    await asyncio.to_thread(q.start)
    try:
        await asyncio.to_thread(q.create_staff_user, ANALYST, PASSWORD, "risk")
        async with serving_receiver() as partner, httpx.AsyncClient(
            base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {q.key}"}
        ) as client:
            endpoint = await client.put("/v1/webhook-endpoint", json={
                "url": f"{partner.url.replace('127.0.0.1', 'localhost')}/hooks",
                "event_types": ["fraud.suspected"],
            })  # fmt: skip
            assert endpoint.status_code in (200, 201), endpoint.text
            secret = endpoint.json()["secret"]

            # Six end users pay the same card within a minute.
            statuses = []
            for n in range(6):
                r = await client.post("/v1/orders", json=payout(n, f"farmed-{n}"),
                                      headers={"Idempotency-Key": f"burst-{n}", "Prefer": "wait=10"})  # fmt: skip
                assert r.status_code in (201, 202), r.text
                statuses.append(r.json())
            held = [o for o in statuses if o["status"] == "in_review"]
            assert statuses[0]["status"] != "in_review" and held, [o["status"] for o in statuses]
            assert "many_users_one_card" in held[0]["status_reason"]

            login = await client.post("/staff/v1/login", json={"email": ANALYST, "password": PASSWORD})
            assert login.status_code == 200, login.text
            staff = {"Authorization": f"Bearer {login.json()['token']}"}
            target = held[0]["id"]
            # An analyst acts on what the queue shows, and the queue reads ClickHouse, which the
            # sink fills a moment later (longer on a loaded machine): wait for it there.
            await _until_queued(client, staff, target)
            decided = await client.post(f"/staff/v1/fraud/orders/{target}/review", headers=staff,
                                        json={"action": "decline", "note": "mule card", "block": True})  # fmt: skip
            assert decided.status_code == 200, decided.text
            assert decided.json()["status"] == "declined"
            order = (await client.get(f"/v1/orders/{target}")).json()
            assert order["status"] == "declined"

            [hook] = await partner.wait_for("/hooks", 1, timeout=30)
            event = Webhook(secret).verify(hook.body, hook.headers)  # raises unless signed by us
            assert event["type"] == "fraud.suspected"
            assert event["data"]["order_id"] == target and event["data"]["end_user_blocked"] is True

            # The list entry is on the lists topic: the next payout to the card is declined.
            declined = None
            for attempt in range(20):
                r = await client.post("/v1/orders", json=payout(99, f"fresh-{attempt}"),
                                      headers={"Idempotency-Key": f"after-{attempt}", "Prefer": "wait=10"})  # fmt: skip
                declined = r.json()
                if declined["status"] == "declined":
                    break
                await asyncio.sleep(0.5)
            assert declined is not None and declined["status"] == "declined", declined
            assert "list: card_token blocked" in declined["status_reason"]

            reports: list[dict[str, object]] = []
            for _ in range(60):  # the sink writes the report to ClickHouse within a second or so
                reports = (await client.get("/v1/fraud-reports")).json()["data"]
                if reports:
                    break
                await asyncio.sleep(0.5)
            assert [r["order_id"] for r in reports] == [target]
    finally:
        assert await asyncio.to_thread(q.terminate) == 0, q.tail()


async def _until_queued(client: httpx.AsyncClient, staff: dict[str, str], order_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = await client.get("/staff/v1/fraud/reviews", headers=staff, params={"limit": 100})
        assert queue.status_code == 200, queue.text
        if any(item["order_id"] == order_id for item in queue.json()["data"]):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{order_id} never reached the review queue")
