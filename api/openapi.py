"""The OpenAPI document, completed in one place: what every operation can answer besides success.

FastAPI documents a route's success answer and a 422 in its own (non-problem) shape. Our errors
are problem+json and come from shared layers (authentication, the body limit, media type and
protocol headers, path lookups), so they are declared here from what each operation uses rather
than repeated on every route: a new route gets the right error answers without remembering them.
`tests/e2e/test_openapi_contract.py` (schemathesis) holds the document to what the API answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from api import deps, errors
from api.staff.fraud_routes import retry_key

PARTNER_PREFIX = "/v1/"
STAFF_PREFIX = "/staff/v1/"
STAFF_SIGN_IN = "/staff/v1/login"
_METHODS_THAT_CHANGE = frozenset({"post", "put", "patch", "delete"})


class ProblemFieldError(BaseModel):
    pointer: str = Field(description="JSON pointer into the request body (`/amount/value`) or a header name.")
    code: str = Field(description="Stable machine code of the fault, e.g. `missing`, `out_of_range`.")
    message: str = Field(description="For people; never echoes a card number.")


class Problem(BaseModel):
    """RFC 9457 problem details: branch on `type`, show `detail`, quote `request_id` to support."""

    type: str = Field(description=f"Stable: `{errors.PROBLEM_BASE}<slug>`, see docs/errors.md.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path.")
    request_id: str
    errors: list[ProblemFieldError] | None = Field(None, description="One entry per field at fault.")


_MEANING = {
    400: "Malformed request: body is not JSON, a protocol header is missing or invalid, a bad cursor",
    401: "Missing, unknown or revoked credentials",
    403: "Not allowed: inactive company, address not on the allowlist, role, CSRF",
    404: "No such resource for this caller",
    409: "Conflicts with an earlier request or the current state (e.g. Idempotency-Key reused)",
    413: "Request body too large",
    415: "Unsupported media type: send application/json",
    422: "The request is well-formed but invalid; see `errors[]`",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "Temporarily unavailable: retry later (same Idempotency-Key for orders)",
}
_RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}

# What an operation's own use case can refuse beyond what its shape implies (see `_statuses`).
EXTRA_STATUSES: dict[tuple[str, str], frozenset[int]] = {
    ("get", "/v1/webhook-endpoint"): frozenset({404}),
    ("delete", "/v1/webhook-endpoint"): frozenset({404}),
    ("post", "/v1/webhook-endpoint/rotate-secret"): frozenset({404}),
    ("post", STAFF_SIGN_IN): frozenset({401, 429}),
    ("post", "/staff/v1/me/password"): frozenset({429}),
    ("post", "/staff/v1/exports"): frozenset({429}),
}

# A request that succeeds against the sandbox demo catalog: shown in /docs, and what
# schemathesis's examples phase sends first.
EXAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/orders"): {
        "product_id": "topup-de", "amount": {"value": 1500, "currency": "EUR"},
        "recipient": {"phone": "+4915112345678"}, "end_user": {"id": "user-42"},
        "external_id": "reward-2026-0001",
    },
}  # fmt: skip

# Protocol headers our dependencies read from the request (so FastAPI cannot see them).
_HEADER_PARAMETERS: dict[Callable[..., Any], dict[str, Any]] = {
    deps.idempotency_key: {
        "name": "Idempotency-Key", "in": "header", "required": True,
        "description": "Your unique id of this request: a retry with the same key and body gets the "
        "same answer and never a second effect. 1-255 printable ASCII characters.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    },
    retry_key: {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "Optional: makes a retried action safe. 1-255 printable ASCII characters.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    },
    deps.prefer_wait: {
        "name": "Prefer", "in": "header", "required": False,
        "description": "`wait=N` (seconds, at most 10): answer once the order rests (final or in_review).",
        "schema": {"type": "string", "maxLength": 100, "example": "wait=5"},
    },
}  # fmt: skip


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _statuses(method: str, path: str, operation: dict[str, Any], calls: set[Callable[..., Any]]) -> set[int]:
    found = {503}  # a store or stream did not answer in time; never a wrong answer
    parameters = operation.get("parameters", [])
    if path.startswith(PARTNER_PREFIX):
        found |= {401, 403, 429}
    elif path.startswith(STAFF_PREFIX) and path != STAFF_SIGN_IN:
        found |= {401, 403}
        if method in _METHODS_THAT_CHANGE:  # the owning agent may refuse: gone, stale, invalid
            found |= {404, 409, 422}
    if "requestBody" in operation:
        found |= {400, 413, 415, 422}
    if any(p["in"] == "path" for p in parameters):
        found |= {404, 422}
    if any(p["in"] == "query" for p in parameters):
        found |= {422}
        if any(p["name"] == "cursor" for p in parameters):
            found |= {400}
    if deps.idempotency_key in calls or retry_key in calls:
        found |= {400, 409}
    return found | EXTRA_STATUSES.get((method, path), frozenset())


def _problem_response(status: int, partner: bool) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _MEANING.get(status, "Error"),
        "content": {errors.PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {**_RETRY_AFTER, "required": status == 429 and partner}}
    return response


def _complete_operation(method: str, path: str, operation: dict[str, Any], route: Any) -> None:
    calls = set(_calls(route.dependant)) if route is not None else set()
    names = {(p["in"], p["name"].lower()) for p in operation.get("parameters", [])}
    for call, parameter in _HEADER_PARAMETERS.items():
        if call in calls and ("header", parameter["name"].lower()) not in names:
            operation.setdefault("parameters", []).append(dict(parameter))
    example = EXAMPLE_BODIES.get((method, path))
    if example is not None:
        operation["requestBody"]["content"]["application/json"]["example"] = example
    responses: dict[str, Any] = operation.setdefault("responses", {})
    success = next((r for code, r in sorted(responses.items()) if code.startswith("2") and "content" in r), None)
    for code, response in responses.items():
        # A second success answer (a replay, "still processing") carries the same object.
        if code.startswith("2") and code != "204" and "content" not in response and success is not None:
            response["content"] = success["content"]
    partner = path.startswith(PARTNER_PREFIX)
    statuses = _statuses(method, path, operation, calls) | ({422} if "422" in responses else set())
    for status in sorted(statuses):
        declared = responses.get(str(status), {}).get("description", "")
        response = _problem_response(status, partner)
        if declared and declared != "Validation Error":  # the route's own words, not FastAPI's
            response["description"] = declared
        responses[str(status)] = response
    if path.startswith(PARTNER_PREFIX):
        operation["security"] = [{"partnerKey": []}]
    elif path.startswith(STAFF_PREFIX) and path != STAFF_SIGN_IN:
        operation["security"] = [{"staffSession": []}]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (ProblemFieldError, Problem):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 shape: never sent
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        "partnerKey": {"type": "http", "scheme": "bearer", "bearerFormat": "qk_test_… or qk_live_…"},
        "staffSession": {"type": "http", "scheme": "bearer", "bearerFormat": "qs_… from POST /staff/v1/login"},
    }
    routes = {  # included routers stay routers in FastAPI ≥ 0.163: walk their effective routes
        (method.lower(), str(context.path_format)): context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(method, path, operation, routes.get((method, path)))
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
