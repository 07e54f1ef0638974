"""Error answers become QuadraError subclasses carrying the problem; bodies that are not
problems (proxies' HTML, truncated JSON, garbage) still give a useful error, never a crash."""

from __future__ import annotations

import json

import httpx
import pytest
from quadra_client import (
    AuthenticationError,
    PayloadTooLargeError,
    PermissionDeniedError,
    Quadra,
    QuadraError,
    RetryPolicy,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)
from quadra_client.models import FieldError

from tests.clients.fake_partner_api import BASE_URL, TEST_KEY, ScriptedApi, ok, problem
from tests.clients.wire_samples import order_json


def raised_by(answer: httpx.Response) -> QuadraError:
    api = ScriptedApi([answer])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport, retries=RetryPolicy(max_attempts=1)) as quadra:
        with pytest.raises(QuadraError) as raised:
            quadra.get_order("ord_" + "a" * 32)
    return raised.value


def test_a_validation_problem_carries_its_fields() -> None:
    errors = [{"pointer": "/amount/value", "code": "out_of_range", "message": "above the product's maximum"}]
    error = raised_by(problem(422, "validation-failed", "See errors[].", errors=errors))
    assert isinstance(error, ValidationError)
    assert (error.status, error.slug, error.detail, error.request_id) == (422, "validation-failed", "See errors[].", "req-1")
    assert error.type == "https://docs.quadra.dev/problems/validation-failed"
    assert error.errors == (FieldError("/amount/value", "out_of_range", "above the product's maximum"),)
    assert "/amount/value" in str(error) and "req-1" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (403, PermissionDeniedError), (413, PayloadTooLargeError), (500, ServerError)],
)
def test_each_status_family_has_its_class(status: int, cls: type[QuadraError]) -> None:
    error = raised_by(problem(status, "some-problem"))
    assert type(error) is cls and error.status == status


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"type": "https://docs.quadra.dev/problems/trunc',
        b"",
        b"[1, 2, 3]",
        b"\xff\xfe\x00garbage",
        b'"just a string"',
    ],
    ids=["html", "truncated", "empty", "array", "not-utf8", "string"],
)
def test_a_body_that_is_not_a_problem_still_gives_status_and_request_id(body: bytes) -> None:
    answer = httpx.Response(400, content=body, headers={"X-Request-Id": "req-from-header"})
    error = raised_by(answer)
    assert type(error).__name__ == "BadRequestError"
    assert error.status == 400 and error.type == "about:blank" and error.request_id == "req-from-header"
    assert error.detail and len(error.detail) <= 200 and error.errors == ()


def test_malformed_fields_of_a_problem_are_skipped_not_fatal() -> None:
    body = {"type": "https://docs.quadra.dev/problems/validation-failed", "status": "four hundred",
            "title": 7, "detail": None, "request_id": ["x"],
            "errors": ["nonsense", {"pointer": "/a"}, {"pointer": "/b", "code": "bad", "message": "why"}, None]}  # fmt: skip
    answer = httpx.Response(422, content=json.dumps(body).encode(), headers={"X-Request-Id": "req-h"})
    error = raised_by(answer)
    assert isinstance(error, ValidationError) and error.status == 422 and error.request_id == "req-h"
    assert error.errors == (FieldError("/b", "bad", "why"),) and error.title == "Unprocessable Entity"


def test_a_long_error_page_is_cut_to_an_excerpt() -> None:
    error = raised_by(httpx.Response(500, content=b"x" * 100_000))
    assert isinstance(error, ServerError) and len(error.detail) == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", json.dumps(order_json(amount={"value": "15.00", "currency": "EUR"})).encode(),
     json.dumps(order_json(created_at="yesterday")).encode(), json.dumps(order_json(sandbox=1)).encode()],
    ids=["not-json", "array", "amount-as-text", "bad-timestamp", "int-for-bool"],
)
def test_a_success_answer_the_client_does_not_understand_is_said_so(body: bytes) -> None:
    error = raised_by(httpx.Response(200, content=body, headers={"X-Request-Id": "req-9"}))
    assert isinstance(error, UnexpectedResponseError)
    assert error.status == 200 and error.request_id == "req-9" and "/v1/orders/" in error.detail


def test_a_success_is_not_an_error() -> None:
    api = ScriptedApi([ok(order_json())])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra:
        assert quadra.get_order("ord_" + "a" * 32).id == order_json()["id"]
