"""Maps every error to RFC 9457 problem+json, in this one place."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import errors
from api.sanitize import mask_cards
from domain.errors import DomainError

log = logging.getLogger(__name__)


class ProblemRenderer(Protocol):
    """Renders a problem for people instead of programs (the back office's HTML pages)."""

    def __call__(self, request: Request, problem: errors.Problem) -> Response: ...


def problem_response(request: Request, problem: errors.Problem) -> Response:
    request_id = getattr(request.state, "request_id", "")
    renderers: dict[str, ProblemRenderer] = getattr(request.app.state, "problem_renderers", {})
    for prefix, render in renderers.items():
        if request.url.path == prefix or request.url.path.startswith(prefix + "/"):
            return render(request, problem)
    return JSONResponse(
        problem.body(mask_cards(request.url.path), request_id),  # the path is caller text
        status_code=problem.status,
        media_type=errors.PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _message(err: dict[str, Any]) -> str:
    message = str(err.get("msg", "invalid"))
    # Pydantic prefixes our own ValueErrors; the prefix says nothing to a partner.
    return message.removeprefix("Value error, ")


def validation_problem(exc: RequestValidationError) -> errors.Problem:
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return errors.malformed_json("The body could not be parsed as JSON.")
    field_errors = [
        errors.FieldError(_pointer(tuple(e.get("loc", ()))), str(e.get("type", "invalid")), _message(e))
        for e in raw
    ]
    # A body that is not an object at all is a shape problem of the whole document.
    return errors.validation_failed(field_errors)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error becomes a problem here; under a path prefix registered in
    `app.state.problem_renderers` (the back office) it is rendered for people, else as JSON."""
    app.state.problem_renderers = {}

    @app.exception_handler(errors.Problem)
    async def _problem(request: Request, exc: errors.Problem) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        fields = [errors.FieldError(exc.pointer, "invalid", exc.detail)] if exc.pointer else []
        retry = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else {}
        problem = errors.Problem(exc.status, exc.slug, exc.title, exc.detail, fields, retry)
        return problem_response(request, problem)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(request, validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, errors.Problem):
            # FastAPI wraps errors raised while reading the body (our size limit) in a 400.
            return problem_response(request, exc.__cause__)
        if exc.status_code == 404:
            problem = errors.not_found(f"No route {mask_cards(request.url.path)[:200]}")
        elif exc.status_code == 405:
            problem = errors.method_not_allowed(f"{request.method} is not allowed here")
        else:
            problem = errors.Problem(exc.status_code, "http-error", str(exc.detail))
        return problem_response(request, problem)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request, errors.Problem(500, "internal-error", "Internal error", "Quoted request_id helps support.")
        )
