"""ASGI app for the provider sandbox (contract: docs/provider-sandbox-api.md)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.config import SandboxConfig
from sandbox.control import control_routes
from sandbox.providers import PROVIDERS, Outcome, OutOfStock, Provider, declined
from sandbox.state import Fault, Record, SandboxState
from sandbox.validation import InvalidRequest, MalformedBody, read_object, require_str

_BEARER_PREFIX = "Bearer sandbox-"


def error(status: int, code: str, detail: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


def authorized(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith(_BEARER_PREFIX)


def fingerprint(body: dict[str, Any]) -> str:
    # Key order and whitespace are not a different request.
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _response(provider: Provider, order_id: str, outcome: Outcome) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "provider_ref": f"{provider.name}-{uuid.uuid4().hex[:16]}",
        "status": outcome.status,
        "decline_code": outcome.decline_code,
        "decline_reason": outcome.decline_reason,
        "details": outcome.details,
    }


def _execute(
    provider: Provider,
    state: SandboxState,
    body: dict[str, Any],
    order_id: str,
    fault: Fault | None,
) -> tuple[Record, Outcome]:
    """Run the provider's rules once and record the result (no awaits: atomic)."""
    if fault is not None and fault.mode == "decline":
        outcome = declined("provider_decline", "declined by the provider")
    else:
        outcome = provider.rules(body, state, state.config)  # may raise OutOfStock
    complete_at = None
    if outcome.completes_after_ms is not None:
        complete_at = time.monotonic() + outcome.completes_after_ms / 1000
    record = Record(fingerprint(body), _response(provider, order_id, outcome), complete_at)
    # Declines move no money, so only accepted/completed payouts count as executions.
    state.store(provider.name, order_id, record, executed=outcome.status != "declined")
    return record, outcome


async def _checked_body(
    provider: Provider, request: Request
) -> tuple[dict[str, Any], str] | Response:
    """Auth, Idempotency-Key and body shape, before any fault so `times` counts valid calls."""
    if not authorized(request):
        return error(401, "unauthorized")
    key = request.headers.get("idempotency-key")
    if not key:
        return error(400, "missing_idempotency_key")
    try:
        body = await read_object(request)
        order_id = require_str(body, "order_id")
        if order_id != key:
            raise InvalidRequest("Idempotency-Key must equal order_id")
        provider.validate(body)
    except MalformedBody:
        return error(400, "invalid_json")
    except InvalidRequest as exc:
        return error(422, "invalid_request", str(exc))
    return body, order_id


def _answer(
    provider: Provider,
    state: SandboxState,
    body: dict[str, Any],
    order_id: str,
    fault: Fault | None,
) -> tuple[JSONResponse, int | None]:
    """Replay the recorded result or execute once; no awaits, so concurrent repeats are safe.
    Also how long to hold the answer back, when the executed outcome asks for that."""
    existing = state.find(provider.name, order_id)
    if existing is not None:
        if existing.fingerprint != fingerprint(body):
            return error(409, "idempotency_mismatch"), None
        return JSONResponse(existing.response, status_code=200), None
    try:
        record, outcome = _execute(provider, state, body, order_id, fault)
    except OutOfStock:
        return error(409, "out_of_stock"), None
    return JSONResponse(record.response, status_code=201), outcome.answer_after_ms


Endpoint = Callable[[Request], Awaitable[Response]]


def _pay_endpoint(provider: Provider, state: SandboxState) -> Endpoint:
    async def pay(request: Request) -> Response:
        checked = await _checked_body(provider, request)
        if isinstance(checked, Response):
            return checked
        body, order_id = checked
        fault = state.take_fault(provider.name)
        if fault is not None and fault.mode == "down":
            return error(503, "unavailable")
        if fault is not None and fault.mode == "http_500":
            return error(500, "internal_error")
        answer, latency = _answer(provider, state, body, order_id, fault)
        if fault is not None and fault.mode == "timeout_after_accept" and answer.status_code < 300:
            latency = fault.latency_ms
            if latency is None:
                latency = state.config.default_fault_latency_ms
        if latency is not None:
            # Already executed (and recorded): the client gives up meanwhile and must ask status.
            await asyncio.sleep(latency / 1000)
        return answer

    return pay


def _status_endpoint(provider: Provider, state: SandboxState) -> Endpoint:
    async def status(request: Request) -> Response:
        if not authorized(request):
            return error(401, "unauthorized")
        record = state.find(provider.name, request.path_params["order_id"])
        if record is None:
            return error(404, "not_found")
        return JSONResponse(state.current_view(record))

    return status


def _provider_routes(state: SandboxState) -> list[Route]:
    routes: list[Route] = []
    for provider in PROVIDERS.values():
        base = f"/{provider.name}/v1/{provider.resource}"
        routes.append(Route(base, _pay_endpoint(provider, state), methods=["POST"]))
        status = _status_endpoint(provider, state)
        routes.append(Route(base + "/{order_id}", status, methods=["GET"]))
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and wrong methods answer JSON like everything else.
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error(exc.status_code, code)


def create_sandbox_app(config: SandboxConfig | None = None) -> Starlette:
    state = SandboxState(config or SandboxConfig())
    app = Starlette(
        routes=[*_provider_routes(state), *control_routes(state)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = state  # reachable for debugging; tests use the HTTP API
    return app
