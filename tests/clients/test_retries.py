"""Retries: connection errors, 429, 502, 503, 504 are sent again — the very same request, the
same Idempotency-Key — after backoff or the API's Retry-After; other 4xx never are."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from quadra_client import (
    AsyncQuadra,
    ConflictError,
    NotFoundError,
    Quadra,
    QuadraConnectionError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ValidationError,
)
from quadra_client.bodies import OrderBody
from quadra_client.errors import BadRequestError, ClientError
from quadra_client.retries import retry_after_seconds

from tests.clients.fake_partner_api import (
    BASE_URL,
    TEST_KEY,
    FakeClock,
    ScriptedApi,
    ok,
    problem,
)
from tests.clients.wire_samples import order_json, webhook_endpoint_json

BODY: OrderBody = {"product_id": "card-transfer-eur", "amount": {"value": 1500, "currency": "EUR"},
        "recipient": {"phone": "+4915112345678"}, "end_user": {"id": "user-1"}}  # fmt: skip


def client(api: ScriptedApi, clock: FakeClock, retries: RetryPolicy | None = None) -> Quadra:
    return Quadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.sleep, monotonic=clock.monotonic,
                  retries=retries or RetryPolicy(rng=random.Random(7)))  # fmt: skip


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
        problem(502, "bad-gateway"),
        problem(503, "intake-unavailable"),
        problem(504, "gateway-timeout"),
        problem(429, "rate-limited"),
    ],
    ids=["connect", "read-timeout", "reset", "502", "503", "504", "429"],
)
def test_a_retried_order_is_the_same_request_with_the_same_generated_key(failure: httpx.Response | httpx.TransportError) -> None:
    api, clock = ScriptedApi([failure, failure, ok(order_json(), 201)]), FakeClock()
    order = client(api, clock).create_order(BODY)
    assert order.id == order_json()["id"]
    keys = api.header("idempotency-key")
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0] and keys[0].startswith("qc-")
    assert len({r.content for r in api.requests}) == 1
    assert len(clock.slept) == 2 and clock.slept[0] <= clock.slept[1] + 0.5  # backoff grows


def test_a_given_key_is_kept_on_every_retry() -> None:
    api, clock = ScriptedApi([problem(503, "intake-unavailable"), ok(order_json(), 201)]), FakeClock()
    client(api, clock).create_order(BODY, idempotency_key="reward-77")
    assert api.header("idempotency-key") == ["reward-77", "reward-77"]


def test_backoff_doubles_with_jitter_up_to_the_ceiling() -> None:
    api, clock = ScriptedApi([problem(502, "bad-gateway")]), FakeClock()
    policy = RetryPolicy(max_attempts=6, initial_delay=1.0, max_delay=4.0, rng=random.Random(1))
    with pytest.raises(ServerError) as raised:
        client(api, clock, policy).get_order("ord_" + "a" * 32)
    assert raised.value.status == 502 and len(api.requests) == 6
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(c / 2 <= s <= c for s, c in zip(clock.slept, ceilings, strict=True)), clock.slept


@pytest.mark.parametrize("header", ["7", "HTTP-DATE"])
def test_retry_after_is_honoured_as_seconds_or_a_date(header: str) -> None:
    if header == "HTTP-DATE":
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=7), usegmt=True)
    limited = problem(429, "rate-limited")
    limited.headers["Retry-After"] = header
    api, clock = ScriptedApi([limited, ok({"object": "list", "data": []})]), FakeClock()
    assert client(api, clock).catalog() == []
    assert len(clock.slept) == 1 and 5.5 <= clock.slept[0] <= 7 * 1.1, clock.slept


def test_a_retry_after_longer_than_the_policy_allows_is_raised_with_it() -> None:
    limited = problem(429, "rate-limited")
    limited.headers["Retry-After"] = "3600"
    api, clock = ScriptedApi([limited, ok(order_json())]), FakeClock()
    with pytest.raises(RateLimitError) as raised:
        client(api, clock).get_order("ord_" + "a" * 32)
    assert raised.value.retry_after == 3600 and len(api.requests) == 1 and clock.slept == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (problem(400, "missing-header"), BadRequestError),
        (problem(404, "not-found"), NotFoundError),
        (problem(409, "idempotency-key-reused"), ConflictError),
        (problem(422, "validation-failed"), ValidationError),
        (problem(418, "teapot"), ClientError),
    ],
)
def test_other_client_errors_are_never_retried(answer: httpx.Response, error: type[Exception]) -> None:
    api, clock = ScriptedApi([answer, ok(order_json(), 201)]), FakeClock()
    with pytest.raises(error):
        client(api, clock).create_order(BODY)
    assert len(api.requests) == 1 and clock.slept == []


def test_no_answer_after_every_attempt_is_a_connection_error() -> None:
    api, clock = ScriptedApi([httpx.ConnectError("refused")]), FakeClock()
    with pytest.raises(QuadraConnectionError) as raised:
        client(api, clock, RetryPolicy(max_attempts=3, rng=random.Random(1))).balance()
    assert raised.value.status == 0 and "ConnectError" in raised.value.detail
    assert isinstance(raised.value.__cause__, httpx.ConnectError) and len(api.requests) == 3


def test_one_attempt_only_when_retries_are_off() -> None:
    api, clock = ScriptedApi([problem(503, "intake-unavailable"), ok(order_json())]), FakeClock()
    with pytest.raises(ServerError):
        client(api, clock, RetryPolicy(max_attempts=1)).get_order("ord_1")
    assert len(api.requests) == 1


@pytest.mark.parametrize("failure", [problem(502, "bad-gateway"), httpx.ReadTimeout("slow")], ids=["502", "read-timeout"])
def test_rotating_the_secret_is_not_repeated_when_it_may_have_happened(failure: httpx.Response | httpx.TransportError) -> None:
    api, clock = ScriptedApi([failure, ok(webhook_endpoint_json())]), FakeClock()
    with pytest.raises((ServerError, QuadraConnectionError)):
        client(api, clock).rotate_webhook_secret()
    assert len(api.requests) == 1


@pytest.mark.parametrize("failure", [problem(503, "busy"), httpx.ConnectError("refused")], ids=["503", "connect"])
def test_rotating_the_secret_is_retried_when_it_certainly_did_not_happen(failure: httpx.Response | httpx.TransportError) -> None:
    api, clock = ScriptedApi([failure, ok(webhook_endpoint_json())]), FakeClock()
    assert client(api, clock).rotate_webhook_secret().secret
    assert len(api.requests) == 2


async def test_the_async_client_retries_the_same_way() -> None:
    limited = problem(429, "rate-limited")
    limited.headers["Retry-After"] = "2"
    api, clock = ScriptedApi([httpx.ConnectError("refused"), limited, ok(order_json(), 201)]), FakeClock()
    async with AsyncQuadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.async_sleep,
                           retries=RetryPolicy(rng=random.Random(3))) as quadra:  # fmt: skip
        order = await quadra.create_order(BODY, wait=5)
    assert order.status == "completed"
    assert len(set(api.header("idempotency-key"))) == 1 and len(api.requests) == 3
    assert 2 <= clock.slept[1] <= 2.2


def test_unreadable_retry_after_headers_fall_back_to_backoff() -> None:
    for raw in ["soon", "-5", "1e9", "Wed, 99 Foo 2026"]:
        assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": raw})) is None
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(httpx.Response(503, headers={"Retry-After": past})) == 0.0


def test_a_url_the_client_cannot_speak_to_is_not_retried() -> None:
    clock = FakeClock()
    with Quadra(TEST_KEY, "ftp://api.quadra.test", sleep=clock.sleep) as quadra, pytest.raises(QuadraConnectionError):
        quadra.catalog()
    assert clock.slept == []
