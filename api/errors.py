"""One error hierarchy for the HTTP edge, rendered as RFC 9457 problem+json in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_BASE = "https://docs.quadra.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field's fault; `pointer` is a JSON pointer into the request body, or a header name."""

    pointer: str
    code: str
    message: str


@dataclass
class Problem(Exception):
    status: int
    slug: str  # stable: clients branch on `type`, never on `detail`
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, instance: str, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "instance": instance,
            "request_id": request_id,
        }
        if self.errors:
            body["errors"] = [
                {"pointer": e.pointer, "code": e.code, "message": e.message} for e in self.errors
            ]
        return body


def malformed_json(detail: str) -> Problem:
    return Problem(400, "malformed-json", "Request body is not valid JSON", detail)


def unauthorized(detail: str) -> Problem:
    return Problem(
        401, "unauthorized", "Missing or invalid API key", detail,
        headers={"WWW-Authenticate": 'Bearer realm="quadra"'},
    )  # fmt: skip


def not_found(detail: str = "No such resource") -> Problem:
    return Problem(404, "not-found", "Not found", detail)


def method_not_allowed(detail: str) -> Problem:
    return Problem(405, "method-not-allowed", "Method not allowed", detail)


def idempotency_conflict(key: str) -> Problem:
    return Problem(
        409, "idempotency-key-reused", "Idempotency-Key reused with a different body",
        f"The key {key!r} was already used for a different request body. "
        "Use a new key for a new order.",
    )  # fmt: skip


def payload_too_large(limit: int) -> Problem:
    return Problem(413, "payload-too-large", "Request body too large", f"Limit is {limit} bytes.")


def unsupported_media_type(got: str) -> Problem:
    return Problem(
        415, "unsupported-media-type", "Unsupported media type",
        f"Send application/json (got {got or 'nothing'}).",
    )  # fmt: skip


def validation_failed(errors: list[FieldError]) -> Problem:
    return Problem(422, "validation-failed", "Request is invalid", "See errors[].", errors)


def missing_header(name: str, why: str) -> Problem:
    return Problem(
        400, "missing-header", f"Missing header {name}", why,
        [FieldError(name, "missing", why)],
    )  # fmt: skip


def bad_header(name: str, why: str) -> Problem:
    return Problem(400, "invalid-header", f"Invalid header {name}", why, [FieldError(name, "invalid", why)])


def intake_unavailable() -> Problem:
    return Problem(
        503, "intake-unavailable", "Order intake did not answer in time",
        "The request was recorded but not yet admitted. Retry with the same Idempotency-Key "
        "and body: you will get the same order, never a second one.",
        headers={"Retry-After": "1"},
    )  # fmt: skip


def company_inactive() -> Problem:
    return Problem(
        403, "company-inactive", "Company is not active",
        "This company has been deactivated: its API keys are refused. Contact Quadra support.",
    )  # fmt: skip


def ip_not_allowed(ip: str) -> Problem:
    return Problem(
        403, "ip-not-allowed", "Address not on the allowlist",
        f"Calls from {ip or 'an unknown address'} are not on this company's IP allowlist.",
    )  # fmt: skip


def rate_limited(retry_after_s: int, what: str) -> Problem:
    """429 for a partner over its rate limit; `what` says which limit (the key's, or failed
    authentications from the caller's network)."""
    seconds = max(1, retry_after_s)
    return Problem(
        429, "rate-limited", "Too many requests",
        f"{what} Retry after {seconds} s (Retry-After); RateLimit-* headers show the budget. "
        "Nothing was done: a retry with the same Idempotency-Key is safe.",
        headers={"Retry-After": str(seconds)},
    )  # fmt: skip


def staff_unauthorized(detail: str) -> Problem:
    return Problem(
        401, "unauthorized", "Not signed in", detail,
        headers={"WWW-Authenticate": 'Bearer realm="quadra-staff"'},
    )  # fmt: skip


def permission_denied(permission: str) -> Problem:
    return Problem(403, "forbidden", "Not allowed", f"Your role does not grant {permission}.")


def csrf_failed() -> Problem:
    return Problem(
        403, "csrf-failed", "Missing or wrong CSRF token",
        "Requests that change something with the session cookie need the X-CSRF-Token header "
        "from the login response.",
    )  # fmt: skip


def login_failed() -> Problem:
    return Problem(401, "login-failed", "Sign-in failed", "Email or password is wrong.")


def account_locked(retry_after_s: int) -> Problem:
    return Problem(
        429, "account-locked", "Account temporarily locked",
        "Too many failed sign-ins. Try again later.",
        headers={"Retry-After": str(max(1, retry_after_s))},
    )  # fmt: skip


def form_expected(got: str) -> Problem:
    return Problem(
        415, "unsupported-media-type", "Unsupported media type",
        f"Send an HTML form (application/x-www-form-urlencoded; got {got[:60] or 'nothing'}).",
    )  # fmt: skip
