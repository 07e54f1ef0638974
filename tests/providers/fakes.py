"""Scripted provider fakes over httpx.MockTransport, a call-log recorder and a no-wait sleep."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from domain.money import Money
from providers.base import CallRecord, PayoutRequest, ProductType, ProviderConfig

# A scripted reply: a response, or an exception the transport raises.
Reply = httpx.Response | Exception
PAN = "4111111111111111"
CONFIG = ProviderConfig(token="sandbox-test", timeout_s=2.5, max_attempts=3, backoff_base_s=0.05)


def result(order_id: str, status: str, *, code: int = 201, **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "order_id": order_id,
        "provider_ref": f"ref_{order_id}",
        "status": status,
        "decline_code": extra.pop("decline_code", None),
        "decline_reason": extra.pop("decline_reason", None),
        "details": extra.pop("details", {}),
    }
    return httpx.Response(code, json=body)


def error(code: int, name: str) -> httpx.Response:
    return httpx.Response(code, json={"error": name})


@dataclass
class Script:
    """Replies per (method, first path segment after the prefix); records every request."""

    pay: list[Reply] = field(default_factory=list)
    status: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.pay if request.method == "POST" else self.status
        if not queue:
            raise AssertionError(f"unexpected {request.method} {request.url.path}")
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.MockTransport(self.handler), base_url="http://sandbox.test"
        )

    def calls(self, method: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method]

    def body(self, index: int = 0) -> Any:
        return json.loads(self.calls("POST")[index].content)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class CallLog:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


def timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("read timed out")


def request_for(product: ProductType, order_id: str = "ord_1", **kw: Any) -> PayoutRequest:
    defaults: dict[ProductType, dict[str, Any]] = {
        ProductType.CARD_TRANSFER: {"card_number": PAN},
        ProductType.VIRTUAL_CARD: {"email": "a@example.com"},
        ProductType.GIFT_CERTIFICATE: {"product_code": "AMAZON-DE-25"},
        ProductType.MOBILE_TOPUP: {"phone": "+4915112345678"},
    }
    args = {**defaults[product], **kw}
    return PayoutRequest(order_id, product, Money(2500, "EUR"), **args)
