"""Stand-ins for Faust topics and tables, so agent steps run without a broker."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordingTopic:
    sent: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))

    def clear(self) -> None:
        self.sent.clear()
