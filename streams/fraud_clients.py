"""The API's side of fraud review: analysts' review commands to the intake that owns the
order's company (answered on `commands.replies`), and staff case events onto `fraud.cases`."""

from __future__ import annotations

from typing import Any

from domain.fraud import CaseEvent, ReviewCommand
from streams import fraud_messages as fm
from streams.command_client import send_command
from streams.healing_producer import RecordWriter
from streams.replies import CommandBus


class KafkaReviews:
    def __init__(self, bus: CommandBus, topic: str, timeout: float) -> None:
        self._bus = bus
        self._topic = topic
        self._timeout = timeout

    async def submit(self, command: ReviewCommand) -> dict[str, Any]:
        """The intake's reply payload ({"order_id", "status"}); raises CommandRefused (404,
        409 review-refused) or NoReply (503: the command may still be applied; a retry with
        the same command id answers the same)."""
        return await send_command(
            self._bus, self._topic, command.company_id, fm.encode_review(command), command.command_id, self._timeout
        )


class KafkaCaseLog:
    """`producer` must be idempotent: a retried send never appends an event twice, and the
    event id (deterministic) makes a replayed one replace itself in the table."""

    def __init__(self, producer: RecordWriter, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def append(self, event: CaseEvent) -> None:
        key = (event.company_id or event.case_id).encode()  # a company's cases stay in its partition
        await self._producer.send_and_wait(self._topic, fm.encode_case_event(event), key=key)

