"""Domain errors carry the HTTP status and stable problem type they map to at the edge."""

from __future__ import annotations


class DomainError(Exception):
    status = 422
    slug = "domain-error"
    title = "The request cannot be carried out"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class InvalidCommand(DomainError):
    status = 422
    slug = "validation-failed"
    title = "Request is invalid"
