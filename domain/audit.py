"""Audit events: who did what to which thing. Recorded append-only and hash-chained."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ActorKind(str, enum.Enum):
    STAFF = "staff"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    event_id: str  # deterministic (derived from the request id), so a replay records nothing new
    at: datetime
    actor_kind: ActorKind
    actor_id: str  # staff user id, API key prefix, or the system component
    company_id: str  # "" when the action is not about one company
    action: str  # dotted verb, e.g. "company.create", "balance.top_up", "api_key.use"
    target: str  # what it acted on, e.g. a company id, a key prefix, an order id
    request_id: str = ""
    ip: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # sanitized: never secrets or PANs


class AuditTrail(Protocol):
    async def record(self, event: AuditEvent) -> None:
        """Durable when it returns: the caller may then answer its own caller."""
