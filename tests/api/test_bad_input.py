"""Hostile, malformed and oversized input: a clear 4xx problem+json, and nothing submitted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import MAX_BODY, ApiHarness
from tests.api.fakes import REVOKED_KEY
from tests.builders import order_body

JSON = {"Content-Type": "application/json", "Idempotency-Key": "k-1"}


def _raw(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


CASES: list[tuple[str, dict[str, str], Any, int, str, list[str]]] = [
    # (name, headers, body, status, problem type, error pointers)
    ("malformed json", JSON, b'{"product_id": ', 400, "malformed-json", []),
    ("not utf-8", JSON, b"\xff\xfe{}", 400, "malformed-json", []),
    ("json array", JSON, [order_body()], 422, "validation-failed", ["/"]),
    ("json string", JSON, "hello", 422, "validation-failed", ["/"]),
    ("empty object", JSON, {}, 422, "validation-failed",
     ["/product_id", "/amount", "/recipient", "/end_user"]),
    ("unknown field", JSON, order_body(admin=True), 422, "validation-failed", ["/admin"]),
    ("nested unknown field", JSON, order_body(end_user={"id": "u", "role": "x"}), 422,
     "validation-failed", ["/end_user/role"]),
    ("amount as string", JSON, order_body(amount={"value": "1500", "currency": "EUR"}), 422,
     "validation-failed", ["/amount/value"]),
    ("amount as float", JSON, order_body(amount={"value": 15.5, "currency": "EUR"}), 422,
     "validation-failed", ["/amount/value"]),
    ("negative amount", JSON, order_body(amount={"value": -1, "currency": "EUR"}), 422,
     "validation-failed", ["/amount/value"]),
    ("huge amount", JSON, order_body(amount={"value": 10**30, "currency": "EUR"}), 422,
     "validation-failed", ["/amount/value"]),
    ("bad currency", JSON, order_body(amount={"value": 1, "currency": "euro"}), 422,
     "validation-failed", ["/amount/currency"]),
    ("two recipients", JSON, order_body(recipient={"phone": "+4915112345678", "email": "a@b.de"}),
     422, "validation-failed", ["/recipient"]),
    ("no recipient", JSON, order_body(recipient={}), 422, "validation-failed", ["/recipient"]),
    ("bad card", JSON, order_body(recipient={"card_number": "4111111111111112"}), 422,
     "validation-failed", ["/recipient/card_number"]),
    ("bad phone", JSON, order_body(recipient={"phone": "call me"}), 422, "validation-failed",
     ["/recipient/phone"]),
    ("bad ip", JSON, order_body(end_user={"id": "u", "ip": "999.1.1.1"}), 422,
     "validation-failed", ["/end_user/ip"]),
    ("script in id", JSON, order_body(end_user={"id": "<script>alert(1)</script>"}), 422,
     "validation-failed", ["/end_user/id"]),
    ("null byte", JSON, order_body(product_id="p\u0000"), 422, "validation-failed",
     ["/product_id"]),
    ("too much metadata", JSON, order_body(metadata={f"k{i}": i for i in range(50)}), 422,
     "validation-failed", ["/metadata"]),
    ("nested metadata", JSON, order_body(metadata={"a": {"b": 1}}), 422, "validation-failed",
     ["/metadata"]),
    ("oversized body", JSON, {"x": "a" * (MAX_BODY + 1)}, 413, "payload-too-large", []),
    ("no content type", {"Idempotency-Key": "k-1"}, order_body(), 415, "unsupported-media-type", []),
    ("form content type", {**JSON, "Content-Type": "application/x-www-form-urlencoded"},
     b"a=1", 415, "unsupported-media-type", []),
    ("no idempotency key", {"Content-Type": "application/json"}, order_body(), 400,
     "missing-header", ["Idempotency-Key"]),
    ("long idempotency key", {**JSON, "Idempotency-Key": "k" * 300}, order_body(), 400,
     "invalid-header", ["Idempotency-Key"]),
    ("no auth", {**JSON, "Authorization": ""}, order_body(), 401, "unauthorized", []),
    ("basic auth", {**JSON, "Authorization": "Basic dXNlcjpwYXNz"}, order_body(), 401,
     "unauthorized", []),
    ("unknown key", {**JSON, "Authorization": "Bearer qk_test_" + "Z" * 43}, order_body(), 401,
     "unauthorized", []),
    ("revoked key", {**JSON, "Authorization": f"Bearer {REVOKED_KEY}"}, order_body(), 401,
     "unauthorized", []),
    ("garbage token", {**JSON, "Authorization": "Bearer ' OR 1=1 --"}, order_body(), 401,
     "unauthorized", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "body", "status", "slug", "pointers"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_order_requests(
    api: ApiHarness,
    headers: dict[str, str],
    body: Any,
    status: int,
    slug: str,
    pointers: list[str],
) -> None:
    if "Authorization" in headers and not headers["Authorization"]:
        api.client.headers.pop("Authorization")
        headers = {k: v for k, v in headers.items() if k != "Authorization"}
    response = await api.client.post("/v1/orders", content=_raw(body), headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://docs.quadra.dev/problems/{slug}"
    assert problem["status"] == status and problem["title"] and problem["request_id"]
    assert [e["pointer"] for e in problem.get("errors", [])] == pointers
    assert api.intake.submitted == []  # nothing reached the log
    assert "4111111111111112" not in response.text  # a rejected card number is never echoed
    [record] = api.log.records
    assert record.status == status


async def test_chunked_oversized_body_is_413_without_reading_it_all(api: ApiHarness) -> None:
    sent = 0

    async def chunks():  # no Content-Length: the limit must hold while streaming
        nonlocal sent
        for _ in range(100):
            sent += 4096
            yield b"a" * 4096

    response = await api.client.post("/v1/orders", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert api.intake.submitted == []


@pytest.mark.parametrize(
    "path", ["/v1/orders/not-an-id", "/v1/orders/ord_" + "0" * 32, "/v1/nothing", "/v1/orders/%00"]
)
async def test_unknown_things_are_404_problems(api: ApiHarness, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_wrong_method_is_405_problem(api: ApiHarness) -> None:
    response = await api.client.delete("/v1/orders")
    assert response.status_code == 405
    assert response.json()["type"].endswith("/method-not-allowed")


async def test_unreadable_prefer_is_ignored(api: ApiHarness) -> None:
    response = await api.client.post(
        "/v1/orders", json=order_body(), headers={**JSON, "Prefer": "wait=soon, respond-async"}
    )
    assert response.status_code == 201
    assert "preference-applied" not in response.headers
