"""Domain errors carry the HTTP status and stable problem type they map to at the edge."""

from __future__ import annotations


class DomainError(Exception):
    status = 422
    slug = "domain-error"
    title = "The request cannot be carried out"
    retry_after_s: int | None = None  # sent as Retry-After: when trying again makes sense

    def __init__(self, detail: str, pointer: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer  # JSON pointer of the request field at fault, when there is one


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class Unavailable(DomainError):
    """A log or store the request needs did not answer (the broker restarting). Whatever the
    request did before stays done; the same request again, with its Idempotency-Key, ends it."""

    status = 503
    slug = "temporarily-unavailable"
    title = "Temporarily unavailable"
    retry_after_s = 1


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class InvalidCommand(DomainError):
    status = 422
    slug = "validation-failed"
    title = "Request is invalid"


class OutsideCatalog(DomainError):
    """An order the company's catalog does not offer: product, currency, recipient or amount."""

    status = 422
    slug = "outside-catalog"
    title = "Not offered by your catalog"


class InvalidCursor(DomainError):
    """A pagination cursor this API did not hand out (edited, truncated, or for another listing)."""

    status = 400
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"
