"""Every failure the client raises is a `QuadraError`. HTTP errors carry the RFC 9457 problem
the API sent: branch on `type` (or its last segment, `slug`), never on `detail`."""

from __future__ import annotations

import json

import httpx

from quadra_client._wire import JSONObject
from quadra_client.models import FieldError

BLANK_TYPE = "about:blank"  # RFC 9457: the problem is just the HTTP status
CONNECTION_FAILED_TYPE = "quadra-client:connection-failed"
UNEXPECTED_RESPONSE_TYPE = "quadra-client:unexpected-response"


class QuadraError(Exception):
    """`status` is the HTTP status (0 when no answer came); `errors` names the fields at fault;
    `request_id` is what Quadra support asks for; `retry_after` in seconds when the API said."""

    def __init__(
        self,
        status: int,
        type: str = BLANK_TYPE,
        title: str = "",
        detail: str = "",
        errors: tuple[FieldError, ...] = (),
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail or title
        self.errors = errors
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self._message())

    @property
    def slug(self) -> str:
        """The stable last segment of `type`: `idempotency-key-reused`, `validation-failed`…"""
        return self.type.rstrip("/").rsplit("/", 1)[-1]

    def _message(self) -> str:
        fields = "; ".join(f"{e.pointer}: {e.message}" for e in self.errors)
        where = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.status} {self.slug}: {self.detail}{' — ' + fields if fields else ''}{where}"


class ClientError(QuadraError):
    """4xx: the request must change before it can succeed (429 aside: wait and retry)."""


class BadRequestError(ClientError):
    """400: malformed JSON, a missing or invalid header."""


class AuthenticationError(ClientError):
    """401: no key, a malformed, unknown or revoked key."""


class PermissionDeniedError(ClientError):
    """403: company inactive, address not on the allowlist."""


class NotFoundError(ClientError):
    """404: no such resource for this key (another company's ids are not found either)."""


class ConflictError(ClientError):
    """409: e.g. `idempotency-key-reused`: the key was used with another body."""


class PayloadTooLargeError(ClientError):
    """413: body over the size limit, or a batch of more than 10,000 lines."""


class ValidationError(ClientError):
    """422: see `errors` (JSON pointers into your body); nothing was written."""


class RateLimitError(ClientError):
    """429: too many requests; `retry_after` says when to try again."""


class ServerError(QuadraError):
    """5xx: retried automatically where safe; when raised, the retries ran out."""


class QuadraConnectionError(QuadraError):
    """No HTTP answer (connection refused, reset, timed out) after the retries."""


class UnexpectedResponseError(QuadraError):
    """A successful answer that is not what this client version understands."""


_BY_STATUS: dict[int, type[QuadraError]] = {
    400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError,
    404: NotFoundError, 409: ConflictError, 413: PayloadTooLargeError, 422: ValidationError,
    429: RateLimitError,
}  # fmt: skip


def error_class(status: int) -> type[QuadraError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return ClientError
    if status >= 500:
        return ServerError
    return UnexpectedResponseError  # 1xx/3xx: followed redirects are off, so say so


def problem_error(response: httpx.Response, retry_after: float | None) -> QuadraError:
    """The problem in an error answer; a body that is not a problem (an HTML page from a proxy,
    truncated JSON) still gives the status, the request id header and a short excerpt."""
    body = _json_object(response)
    request_id = _optional_str(body.get("request_id")) or response.headers.get("x-request-id")
    problem_type = _optional_str(body.get("type"))
    cls = error_class(response.status_code)
    if problem_type is None:
        excerpt = "" if body else response.text[:200].strip()
        detail = _optional_str(body.get("detail")) or excerpt or response.reason_phrase
        return cls(response.status_code, BLANK_TYPE, response.reason_phrase, detail,
                   request_id=request_id, retry_after=retry_after)  # fmt: skip
    return cls(
        response.status_code, problem_type, _optional_str(body.get("title")) or response.reason_phrase,
        _optional_str(body.get("detail")) or "", _field_errors(body.get("errors")), request_id, retry_after,
    )  # fmt: skip


def _json_object(response: httpx.Response) -> JSONObject:
    try:
        decoded = json.loads(response.content)
    except ValueError:  # also UnicodeDecodeError
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _field_errors(raw: object) -> tuple[FieldError, ...]:
    """Keeps the well-formed entries of `errors[]`; anything else is skipped, not fatal."""
    if not isinstance(raw, list):
        return ()
    found = []
    for item in raw:
        if isinstance(item, dict):
            pointer, code, message = item.get("pointer"), item.get("code"), item.get("message")
            if isinstance(pointer, str) and isinstance(code, str) and isinstance(message, str):
                found.append(FieldError(pointer, code, message))
    return tuple(found)
