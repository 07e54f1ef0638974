"""KafkaAuditTrail's bound, without a broker: a writer that never answers (aiokafka retrying
through a broker outage for its whole request timeout) is `Unavailable` after `timeout_s`.
The broker's own refusals: tests/streams/test_audit_flow.py."""

import asyncio
import time
from typing import Any

import pytest

from domain.errors import Unavailable
from streams.audit_trail import KafkaAuditTrail
from tests.domain.test_audit_chain import event


class SilentWriter:
    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None, **kw: Any) -> None:
        await asyncio.Event().wait()


async def test_no_answer_within_the_bound_is_unavailable() -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match="TimeoutError"):
        await KafkaAuditTrail(SilentWriter(), "audit.events", timeout_s=0.2).record(event(1))  # type: ignore[arg-type]
    assert time.monotonic() - started < 2.0
