"""/openapi.json declares what each operation can answer besides success (api/openapi.py):
problem+json errors by what the operation uses, protocol headers, the security schemes."""

from __future__ import annotations

from typing import Any

import pytest

from api.errors import PROBLEM_CONTENT_TYPE
from api.openapi import Problem
from tests.api.conftest import ApiHarness

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
async def document(api: ApiHarness) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_every_error_answer_is_a_problem(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        assert {"503"} <= set(errors), (method, path)
        for code, response in errors.items():
            assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}, (method, path, code)


def test_order_creation_declares_its_headers_and_answers(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/orders"]["post"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True and headers["Prefer"]["required"] is False
    assert {"200", "201", "202", "400", "401", "403", "409", "413", "415", "422", "429", "503"} <= set(operation["responses"])
    order = operation["responses"]["201"]["content"]
    assert operation["responses"]["200"]["content"] == order == operation["responses"]["202"]["content"]
    assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert operation["security"] == [{"partnerKey": []}]


def test_lookups_and_listings_declare_not_found_and_bad_cursors(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "404" in paths["/v1/orders/{order_id}"]["get"]["responses"]
    assert "404" in paths["/v1/webhook-endpoint"]["get"]["responses"]
    assert {"400", "422"} <= set(paths["/v1/orders"]["get"]["responses"])
    assert "415" not in paths["/v1/orders"]["get"]["responses"]  # no body


def test_staff_operations_use_the_session_and_sign_in_needs_none(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["partnerKey"]["scheme"] == schemes["staffSession"]["scheme"] == "bearer"
    for method, path, operation in _operations(document):
        if path == "/staff/v1/login":
            assert "security" not in operation and {"401", "429"} <= set(operation["responses"])
        elif path.startswith("/staff/v1/"):
            assert operation["security"] == [{"staffSession": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


async def test_an_actual_problem_matches_the_declared_schema(api: ApiHarness) -> None:
    response = await api.client.get("/v1/orders/ord_nope", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    Problem.model_validate(response.json(), strict=True)
    invalid = await api.client.post("/v1/orders", json={"amount": 1}, headers={"Idempotency-Key": "k1"})
    assert invalid.status_code == 422
    assert Problem.model_validate(invalid.json(), strict=True).errors


async def test_the_document_is_built_once(api: ApiHarness) -> None:
    first = (await api.client.get("/openapi.json")).json()
    app = api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    assert app.openapi() is app.openapi() and app.openapi() == first


async def test_the_order_example_is_a_valid_order(api: ApiHarness, document: dict[str, Any]) -> None:
    example = document["paths"]["/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["example"]
    created = await api.client.post("/v1/orders", json=example, headers={"Idempotency-Key": "example-1"})
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/staff/v1/fraud/lists"), ("put", "/v1/webhook-endpoint"), ("put", "/staff/v1/catalog/products/{product_id}")],
)
def test_create_or_replace_operations_declare_both_successes(document: dict[str, Any], method: str, path: str) -> None:
    """These answer 201 when they create and 200 when they replace (schemathesis' long run found
    the lists' 200 undeclared); both answers carry the same body."""
    responses = document["paths"][path][method]["responses"]
    assert {"200", "201"} <= set(responses), (method, path)
    assert responses["200"].get("content") == responses["201"].get("content"), (method, path)
