"""Orders over HTTP: POST /v1/orders with a pooled keep-alive client, httpx (default) or aiohttp.

Two clients because the client's own CPU matters on small machines: httpx is what partners most
likely use from Python, aiohttp costs the bench process far less per request.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx
import orjson

from bench.errors import Failed
from domain.cards import with_luhn_digit


def card_number(i: int) -> str:
    """A distinct Luhn-valid test card per index (BIN 411111, which the sandbox banks pay)."""
    return with_luhn_digit(f"411111{i % 10**9:09d}")


def order_body(i: int, run_id: str) -> bytes:
    # Half card transfers, half mobile top-ups: each product pays to its own kind of recipient.
    # Each order has its own end user and recipient, like a partner's many customers: the
    # built-in fraud rules (velocity, many users → one card) stay quiet, as for real traffic.
    card = i % 2 == 0
    recipient = {"card_number": card_number(i)} if card else {"phone": f"+49151{i % 10**8:08d}"}
    return orjson.dumps(
        {
            "product_id": "card-transfer-eur" if card else "topup-de",
            "amount": {"value": 1000 + i % 5000, "currency": "EUR"},
            "recipient": recipient,
            "end_user": {"id": f"bench-user-{run_id}-{i}"},
            "external_id": f"{run_id}-{i}",
        }
    )


def _failure_kind(status: int, body: bytes) -> str:
    kind = f"HTTP {status}"
    with contextlib.suppress(Exception):
        problem = orjson.loads(body)
        if isinstance(problem, dict) and problem.get("type"):
            kind += f" {problem['type']}"
    return kind


class OrderClient:
    def __init__(self, kind: str, base_url: str, api_key: str, pool: int, timeout_s: float) -> None:
        self.kind = kind
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.pool = pool
        self.timeout_s = timeout_s
        self._client: Any = None

    async def __aenter__(self) -> OrderClient:
        if self.kind == "aiohttp":
            import aiohttp  # a dependency of faust-streaming

            self._client = aiohttp.ClientSession(
                base_url=self.base_url,
                headers=self.headers,
                connector=aiohttp.TCPConnector(limit=self.pool),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                trust_env=False,
            )
        else:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self.headers,
                limits=httpx.Limits(max_connections=self.pool, max_keepalive_connections=self.pool),
                timeout=httpx.Timeout(self.timeout_s),
                trust_env=False,
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.kind == "aiohttp":
            await self._client.close()
        else:
            await self._client.aclose()

    async def post_order(
        self, body: bytes, idempotency_key: str, api_key: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Idempotency-Key": idempotency_key}
        if api_key is not None:  # another company's key than the client's default
            headers["Authorization"] = f"Bearer {api_key}"
        if self.kind == "aiohttp":
            async with self._client.post("/v1/orders", data=body, headers=headers) as response:
                return response.status, await response.read()
        response = await self._client.post("/v1/orders", content=body, headers=headers)
        return response.status_code, response.content

    async def place(self, i: int, run_id: str) -> float:
        """Order `i` of `run_id` (its own Idempotency-Key); its latency if approved, else Failed."""
        body = order_body(i, run_id)
        sent = time.perf_counter()
        try:
            status, content = await self.post_order(body, f"{run_id}-{i}")
        except (TimeoutError, httpx.TimeoutException):
            raise Failed(f"no response within {self.timeout_s:g} s") from None
        except Exception as exc:  # noqa: BLE001 - connection errors of either client
            raise Failed(f"{type(exc).__name__}") from None
        latency = time.perf_counter() - sent
        if status != 201:
            raise Failed(_failure_kind(status, content))
        order_status = orjson.loads(content).get("status")
        if order_status != "approved":
            raise Failed(f"HTTP 201 but status {order_status!r}")
        return latency
