"""Pure ASGI middleware: request ids, body size limit, sanitized request logging."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from api import errors
from api.sanitize import MAX_LOGGED_BODY, sanitize_body, sanitize_headers, sanitize_text
from domain.audit import ActorKind, AuditEvent, AuditTrail
from streams.messages import RequestLogRecord

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CORRELATION = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# What sanitize_body reads of a body: a 4 MiB batch is never held twice nor logged whole.
LOGGED_PREFIX = MAX_LOGGED_BODY * 2


class RequestLogSink(Protocol):
    async def publish(self, record: RequestLogRecord) -> None: ...


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def api_key_use(record: RequestLogRecord, key_prefix: str) -> AuditEvent:
    """The audit event for one authenticated partner request.

    Why an audit event from here rather than a key column in the request log: the design asks
    for every API-key use in the hash-chained audit log, and the request log is not chained,
    so a column alone would not do. Emitting from the request-log path is the cheap way: no
    schema change to a shared contract, no extra consumer, and the event is sent concurrently
    with the request-log record on the same producer (one linger window, usually one produce
    request), so a response waits no longer than it already does. It is compact (no bodies,
    no headers) and its id derives from the request id, so a retried publish records nothing new.
    """
    return AuditEvent(
        event_id=f"{record.request_id}:api_key.use",
        at=record.at,
        actor_kind=ActorKind.API_KEY,
        actor_id=key_prefix,
        company_id=record.company_id,
        action="api_key.use",
        target=key_prefix,
        request_id=record.request_id,
        ip=record.client_ip,
        details={"method": record.method, "path": record.path, "status": record.status},
    )


async def send_problem(send: Send, problem: errors.Problem, path: str, request_id: str) -> None:
    body = orjson.dumps(problem.body(path, request_id))
    headers = [
        (b"content-type", errors.PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Exchange:
    """What one request/response pair accumulates for its log record."""

    def __init__(self, scope: Scope, request_id: str, correlation_id: str) -> None:
        self.scope = scope
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.at = datetime.now(UTC)
        self.started = time.monotonic()
        self.request_body = bytearray()  # its first LOGGED_PREFIX bytes: all the log reads
        self.request_size = 0
        self.response_body = bytearray()
        self.status = 500  # until a response starts: a crash is logged as what the client saw
        self.logged = False

    def record(self) -> RequestLogRecord:
        scope = self.scope
        error_type = ""
        if self.status >= 400 and self.response_body.startswith(b"{"):
            try:
                error_type = str(orjson.loads(bytes(self.response_body)).get("type", ""))[-80:]
            except orjson.JSONDecodeError:
                error_type = ""
        client = scope.get("client") or ("", 0)
        return RequestLogRecord(
            request_id=self.request_id,
            direction="inbound",
            at=self.at,
            company_id=scope.get("state", {}).get("company_id", ""),
            method=scope["method"],
            path=sanitize_text(scope["path"], 512),
            query=sanitize_text(scope.get("query_string", b"").decode("latin-1"), 1024),
            status=self.status,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            client_ip=client[0] or "",
            correlation_id=self.correlation_id,
            idempotency_key=sanitize_text(_header(scope, b"idempotency-key"), 255),
            request_headers=sanitize_headers(scope.get("headers", [])),
            request_body=sanitize_body(bytes(self.request_body), total=self.request_size),
            response_body=sanitize_body(bytes(self.response_body)),
            error_type=error_type,
        )


class EdgeMiddleware:
    """Outermost layer: assigns the request id, enforces the body limit before the app reads
    anything, and logs every exchange (sanitized). The log record is durable before the last
    byte of the response leaves, so a response a client saw is never missing from the log."""

    def __init__(
        self,
        app: ASGIApp,
        sink: RequestLogSink,
        max_body_bytes: int,
        new_request_id: Callable[[datetime], str],
        audit: AuditTrail,
        route_limits: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """`route_limits`: (method, path) → body limit, for routes that take more (or less)
        than `max_body_bytes` (POST /v1/batches)."""
        self._app = app
        self._sink = sink
        self._audit = audit
        self._max = max_body_bytes
        self._route_limits = dict(route_limits or {})
        self._new_request_id = new_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = self._new_request_id(datetime.now(UTC))
        ex = _Exchange(scope, request_id, given if _CORRELATION.match(given) else request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["received_at"] = ex.at

        limit = self._route_limits.get((scope["method"], scope["path"]), self._max)

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if ex.request_size + len(chunk) > limit:
                    # Raised inside the app, so its problem handler answers 413.
                    raise errors.payload_too_large(limit)
                ex.request_size += len(chunk)
                if len(ex.request_body) < LOGGED_PREFIX:
                    ex.request_body.extend(chunk[: LOGGED_PREFIX - len(ex.request_body)])
            return message

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                # Authentication leaves the rate-limit budget it counted against in the state:
                # every answer after it carries it, problems included.
                limits = state.get("rate_limit_headers") or {}
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", ex.correlation_id.encode()),
                    *((k.lower().encode(), v.encode()) for k, v in limits.items()),
                ]
            elif message["type"] == "http.response.body":
                if len(ex.response_body) < MAX_LOGGED_BODY * 2:
                    ex.response_body.extend(message.get("body", b"")[: MAX_LOGGED_BODY * 2])
                if not message.get("more_body", False):
                    await self._publish(ex)
            await send(message)

        declared = _header(scope, b"content-length")
        try:
            if declared.isdigit() and int(declared) > limit:
                problem = errors.payload_too_large(limit)
                await send_problem(logging_send, problem, scope["path"], request_id)
            else:
                await self._app(scope, limited_receive, logging_send)
        finally:
            if not ex.logged:  # the app failed before finishing a response
                await self._publish(ex)

    async def _publish(self, ex: _Exchange) -> None:
        ex.logged = True
        try:
            record = ex.record()
            writes = [self._sink.publish(record)]
            key_prefix = ex.scope.get("state", {}).get("key_prefix", "")
            if key_prefix:  # set by authentication: this exchange used an API key
                writes.append(self._audit.record(api_key_use(record, key_prefix)))
            # Both durable before the last byte leaves, written side by side.
            results = await asyncio.gather(*writes, return_exceptions=True)
        except Exception as exc:  # logging must never break the exchange it logs
            results = [exc]
        for result in results:
            if isinstance(result, Exception):
                log.error(
                    "request log or audit publish failed for %s", ex.request_id, exc_info=result
                )
