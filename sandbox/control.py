"""`/_control/*`: fault injection, gift stock and execution stats (no auth: tests and demos)."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.providers import PROVIDERS
from sandbox.state import FAULT_MODES, Fault, FaultMode, SandboxState
from sandbox.validation import InvalidRequest, MalformedBody, optional_int, read_object, require_str


def _invalid(exc: InvalidRequest) -> JSONResponse:
    if isinstance(exc, MalformedBody):
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    return JSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=422)


def control_routes(state: SandboxState) -> list[Route]:
    async def set_fault(request: Request) -> Response:
        try:
            body = await read_object(request)
            provider = require_str(body, "provider")
            if provider not in PROVIDERS:
                raise InvalidRequest(f"provider: one of {sorted(PROVIDERS)}")
            mode = require_str(body, "mode")
            if mode not in FAULT_MODES:
                raise InvalidRequest(f"mode: one of {list(FAULT_MODES)}")
            times = optional_int(body, "times", minimum=1)
            latency_ms = optional_int(body, "latency_ms", minimum=0)
        except InvalidRequest as exc:
            return _invalid(exc)
        state.set_fault(provider, Fault(cast(FaultMode, mode), latency_ms), times)
        return JSONResponse(
            {"provider": provider, "mode": mode, "times": times, "latency_ms": latency_ms}
        )

    async def clear_faults(request: Request) -> Response:
        state.clear_faults()
        return JSONResponse({"cleared": True})

    async def set_stock(request: Request) -> Response:
        try:
            body = await read_object(request)
            product_code = require_str(body, "product_code")
            codes = optional_int(body, "codes", minimum=0)
            if codes is None:
                raise InvalidRequest("codes: integer >= 0 required")
        except InvalidRequest as exc:
            return _invalid(exc)
        state.set_stock(product_code, codes)
        return JSONResponse({"product_code": product_code, "codes": codes})

    async def stats(request: Request) -> Response:
        return JSONResponse({"executions": state.executions})

    return [
        Route("/_control/faults", set_fault, methods=["POST"]),
        Route("/_control/faults", clear_faults, methods=["DELETE"]),
        Route("/_control/stock", set_stock, methods=["POST"]),
        Route("/_control/stats", stats, methods=["GET"]),
    ]
