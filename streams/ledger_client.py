"""The API's side of the ledger: balance commands over the command bus."""

from __future__ import annotations

from typing import Any

from streams.command_client import send_command
from streams.ledger_messages import CommandEnvelope, encode_command
from streams.replies import CommandBus


class KafkaLedger:
    def __init__(self, bus: CommandBus, topic: str, timeout: float) -> None:
        self._bus = bus
        self._topic = topic
        self._timeout = timeout

    async def submit(self, envelope: CommandEnvelope) -> dict[str, Any]:
        command = envelope.command
        return await send_command(
            self._bus, self._topic, command.company_id, encode_command(envelope),
            envelope.request_id, self._timeout,
        )  # fmt: skip
