"""API side of a command: send it over the CommandBus, turn a refusal back into a DomainError."""

from __future__ import annotations

from typing import Any

from domain.errors import DomainError
from streams.replies import CommandBus, CommandError


class CommandRefused(DomainError):
    """The owning agent refused the command; carries the agent's status, type and detail."""

    def __init__(self, error: CommandError) -> None:
        super().__init__(error.detail)
        self.status = error.status
        self.slug = error.slug
        self.title = error.title


class NoReply(DomainError):
    status = 503
    slug = "command-timeout"
    title = "The change was not confirmed in time"
    retry_after_s = 1

    def __init__(self) -> None:
        super().__init__(
            "No answer arrived in time; the change may still be applied. Reload before retrying."
        )


async def send_command(
    bus: CommandBus, topic: str, key: str, value: bytes, request_id: str, timeout: float
) -> dict[str, Any]:
    """The reply's payload; raises CommandRefused or NoReply."""
    reply = await bus.send(topic, key, value, request_id, timeout)
    if reply is None:
        raise NoReply()
    if reply.error is not None:
        raise CommandRefused(reply.error)
    return reply.payload
