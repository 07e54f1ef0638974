"""Pure ASGI middleware: request ids, body size limit, sanitized request logging."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from api import errors
from api.sanitize import MAX_LOGGED_BODY, sanitize_body, sanitize_headers, sanitize_text
from streams.messages import RequestLogRecord

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CORRELATION = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestLogSink(Protocol):
    def publish(self, record: RequestLogRecord) -> None: ...


class _BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


async def send_problem(send: Send, problem: errors.Problem, path: str, request_id: str) -> None:
    body = orjson.dumps(problem.body(path, request_id))
    headers = [
        (b"content-type", errors.PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class EdgeMiddleware:
    """Outermost layer: assigns the request id, enforces the body limit before the app reads
    anything, and logs every exchange (sanitized) to the request-log sink."""

    def __init__(
        self,
        app: ASGIApp,
        sink: RequestLogSink,
        max_body_bytes: int,
        new_request_id: Callable[[datetime], str],
    ) -> None:
        self._app = app
        self._sink = sink
        self._max = max_body_bytes
        self._new_request_id = new_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.monotonic()
        at = datetime.now(UTC)
        request_id = self._new_request_id(at)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["received_at"] = at
        given = _header(scope, b"x-request-id")
        correlation_id = given if _CORRELATION.match(given) else request_id

        request_body = bytearray()
        response_body = bytearray()
        status = 500

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if len(request_body) + len(chunk) > self._max:
                    # Raised inside the app, so its problem handler answers 413.
                    raise errors.payload_too_large(self._max)
                request_body.extend(chunk)
            return message

        async def logging_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", correlation_id.encode()),
                ]
            elif message["type"] == "http.response.body" and len(response_body) < MAX_LOGGED_BODY * 2:
                response_body.extend(message.get("body", b"")[: MAX_LOGGED_BODY * 2])
            await send(message)

        declared = _header(scope, b"content-length")
        try:
            if declared.isdigit() and int(declared) > self._max:
                raise _BodyTooLarge
            await self._app(scope, limited_receive, logging_send)
        except _BodyTooLarge:
            status = 413
            problem = errors.payload_too_large(self._max)
            response_body[:] = orjson.dumps(problem.body(scope["path"], request_id))
            await send_problem(send, problem, scope["path"], request_id)
        finally:
            self._log(scope, state, request_id, correlation_id, at, started, status,
                      bytes(request_body), bytes(response_body))  # fmt: skip

    def _log(
        self, scope: Scope, state: dict[str, Any], request_id: str, correlation_id: str,
        at: datetime, started: float, status: int, request_body: bytes, response_body: bytes,
    ) -> None:  # fmt: skip
        error_type = ""
        if status >= 400 and response_body.startswith(b"{"):
            try:
                error_type = str(orjson.loads(response_body).get("type", ""))[-80:]
            except orjson.JSONDecodeError:
                error_type = ""
        client = scope.get("client") or ("", 0)
        record = RequestLogRecord(
            request_id=request_id,
            direction="inbound",
            at=at,
            company_id=state.get("company_id", ""),
            method=scope["method"],
            path=sanitize_text(scope["path"], 512),
            query=sanitize_text(scope.get("query_string", b"").decode("latin-1"), 1024),
            status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            client_ip=client[0] or "",
            correlation_id=correlation_id,
            idempotency_key=sanitize_text(_header(scope, b"idempotency-key"), 255),
            request_headers=sanitize_headers(scope.get("headers", [])),
            request_body=sanitize_body(request_body),
            response_body=sanitize_body(response_body),
            error_type=error_type,
        )
        try:
            self._sink.publish(record)
        except Exception:  # logging must never break the exchange it logs
            log.exception("request log publish failed for %s", request_id)
