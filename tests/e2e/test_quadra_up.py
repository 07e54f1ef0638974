"""`quadra up` as a subprocess, driven over HTTP, stopped with SIGTERM and SIGKILL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import card_number, order_body
from tests.conftest import free_port
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]
PROBLEM = "application/problem+json"


class Partner:
    """An HTTP client that remembers every request id it saw and every order it created."""

    def __init__(self, q: QuadraProcess) -> None:
        self.client = httpx.Client(
            base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {q.key}"}
        )
        self.request_ids: set[str] = set()
        self.orders: dict[str, str] = {}  # idempotency key -> order id

    def post(self, key: str | None, body: Any, retry_503_for: float = 0, **headers: str) -> httpx.Response:
        all_headers = {"Idempotency-Key": key, **headers} if key else dict(headers)
        deadline = time.monotonic() + retry_503_for
        while True:  # 503 means "retry with the same key", as the problem says
            response = self.client.post("/v1/orders", json=body, headers=all_headers)
            self.request_ids.add(response.headers["x-request-id"])
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if key and response.status_code in (200, 201):
            assert self.orders.setdefault(key, response.json()["id"]) == response.json()["id"]
        return response

    def get(self, order_id: str) -> httpx.Response:
        response = self.client.get(f"/v1/orders/{order_id}")
        self.request_ids.add(response.headers["x-request-id"])
        return response


def _many_body(key: str, amount: int) -> dict[str, object]:
    # An end user and a card each, like a partner's many customers: one user's or one card's
    # burst would be held for review by the built-in rules (tests/e2e/test_fraud_review.py).
    return order_body(amount={"value": amount, "currency": "EUR"}, end_user={"id": f"user-{key}"},
                      recipient={"card_number": card_number(sum(map(ord, key)) * 1000 + amount)})


def _create_many(partner: Partner, prefix: str, n: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(
            lambda i: partner.post(f"{prefix}-{i}", _many_body(f"{prefix}-{i}", 100 + i), retry_503_for=60).status_code,
            range(n),
        ))  # fmt: skip
    assert codes == [201] * n


def _replays_return_the_same_orders(partner: Partner) -> None:
    for key, order_id in list(partner.orders.items()):
        if key.count("-") > 1:  # made by _create_many
            body = _many_body(key, 100 + int(key.rsplit("-", 1)[1]))
        else:
            body = order_body(amount={"value": 1500, "currency": "EUR"})
        response = partner.post(key, body, retry_503_for=60)
        assert response.status_code == 200, (key, response.text)
        assert response.json()["id"] == order_id


def _all_orders_completed(partner: Partner, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    for order_id in partner.orders.values():
        while (response := partner.get(order_id)).status_code != 200 or (
            response.json()["status"] != "completed"
        ):
            assert time.monotonic() < deadline, f"{order_id} not completed: {response.text}"
            time.sleep(0.3)


def test_quadra_up_end_to_end(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> None:
    q = QuadraProcess(tmp_path / "var", free_port(), kafka_bootstrap, topic_prefix)
    q.start()
    try:
        partner = Partner(q)

        # A new order is decided, paid (sandbox settlement) and readable within 2 s.
        started = time.monotonic()
        created = partner.post("e2e-first", order_body(), retry_503_for=30)
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        while (read := partner.get(order_id)).json().get("status") != "completed":
            assert time.monotonic() - started < 2, read.text
            time.sleep(0.05)
        assert time.monotonic() - started < 2

        # Replay and conflict.
        assert partner.post("e2e-first", order_body()).status_code == 200
        conflict = partner.post("e2e-first", order_body(amount={"value": 1600, "currency": "EUR"}))
        assert conflict.status_code == 409 and conflict.headers["content-type"] == PROBLEM

        # Bad input: the right 4xx problem, and (checked in ClickHouse below) nothing written.
        bad = [
            partner.post(None, order_body()),
            partner.client.post("/v1/orders", content=b"{nope", headers={
                "Idempotency-Key": "bad-1", "Content-Type": "application/json"}),
            partner.post("bad-2", order_body(surprise=1)),
            partner.post("bad-3", {"blob": "x" * 200_000}),
            partner.client.post("/v1/orders", json=order_body(), headers={
                "Idempotency-Key": "bad-4", "Authorization": "Bearer qk_test_" + "x" * 43}),
        ]  # fmt: skip
        assert [r.status_code for r in bad] == [400, 400, 422, 413, 401]
        assert all(r.headers["content-type"] == PROBLEM for r in bad)
        partner.request_ids.update(r.headers["x-request-id"] for r in bad)

        _create_many(partner, "before-term", 12)

        # SIGTERM: a clean stop; everything is there after the restart (read from ClickHouse).
        assert q.terminate() == 0, q.tail()
        q.start()
        partner = _reconnect(partner, q)
        _all_orders_completed(partner)
        _replays_return_the_same_orders(partner)

        # SIGKILL right after a burst: nothing lost, nothing processed twice.
        _create_many(partner, "before-kill", 12)
        q.kill()
        q.start()
        partner = _reconnect(partner, q)
        _replays_return_the_same_orders(partner)
        _create_many(partner, "after-kill", 4)
        _all_orders_completed(partner)
    finally:
        if q.proc is not None and q.proc.poll() is None:
            q.terminate()

    orders = q.clickhouse(
        "SELECT idempotency_key, order_id, status, version FROM quadra.orders FINAL "
        "WHERE company_id = 'cmp_demo'"
    )
    assert {row[0]: row[1] for row in orders} == partner.orders  # one order per key, no others
    assert {(row[2], row[3]) for row in orders} == {("completed", 5)}
    events = q.clickhouse(
        "SELECT order_id, groupArray(status) FROM "
        "(SELECT order_id, status FROM quadra.order_events FINAL ORDER BY sequence) GROUP BY order_id"
    )
    assert {row[0]: row[1] for row in events} == {
        oid: ["received", "approved", "reserved", "dispatched", "completed"]
        for oid in partner.orders.values()
    }
    logged = q.clickhouse("SELECT request_id, count() FROM quadra.request_log FINAL GROUP BY request_id")
    counts = {row[0]: row[1] for row in logged}
    assert partner.request_ids <= set(counts), "every response a client saw has its log row"
    assert set(counts.values()) == {1}
    leaked = q.clickhouse(
        "SELECT count() FROM quadra.request_log WHERE position(request_body, '4111111111111111') > 0 "
        "OR position(request_body, '4111 1111 1111 1111') > 0 OR position(request_headers, 'qk_test_') > 0"
    )
    assert leaked == [[0]]


def _reconnect(partner: Partner, q: QuadraProcess) -> Partner:
    fresh = Partner(q)
    fresh.orders, fresh.request_ids = partner.orders, partner.request_ids
    return fresh
