"""Writes an API request waits for: acknowledged by the broker, or `Unavailable`.

With the broker away aiokafka retries a produce for its whole request timeout, and a refusal
surfaces as a KafkaError the API would answer with a 500. A request whose write fails gets a
503 with Retry-After instead: every such write is keyed so that the same request again does
no harm (deterministic ids, idempotency keys).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiokafka.errors import KafkaError

from domain.errors import Unavailable
from streams.bounded import finished_within

T = TypeVar("T")


async def acknowledged(write: Awaitable[T], what: str, timeout_s: float = 10.0) -> T:
    """`write`'s result, or Unavailable when the broker refused it or did not answer in time."""
    done = await finished_within(write, timeout_s)  # no waiting for a cancelled aiokafka step
    try:
        if done is None:
            raise TimeoutError(f"no acknowledgement within {timeout_s:g} s")
        return done.result()
    except (KafkaError, TimeoutError) as exc:
        raise Unavailable(f"{what} did not reach the event log ({type(exc).__name__}); retry the same request") from exc
