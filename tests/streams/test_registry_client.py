"""Last-used reporting: at most one report per key per interval, the newest use wins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.companies import api_key_record
from domain.registry import RecordKeyUse
from streams.registry_client import KeyUseReporter
from streams.registry_messages import decode_registry_command
from tests.builders import T0

KEY_A = api_key_record("qk_test_" + "A" * 43, "cmp_a", "A")
KEY_B = api_key_record("qk_test_" + "B" * 43, "cmp_b", "B")


@dataclass
class RecordingProducer:
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    async def send(self, topic: str, value: bytes, key: bytes) -> None:
        self.sent.append((topic, key, value))

    def reports(self) -> list[RecordKeyUse]:
        commands = [decode_registry_command(v) for _, _, v in self.sent]
        self.sent.clear()
        assert all(isinstance(c, RecordKeyUse) for c in commands)
        return commands  # type: ignore[return-value]


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_each_key_is_reported_at_most_once_per_interval_with_its_newest_use() -> None:
    producer, clock = RecordingProducer(), Clock()
    reporter = KeyUseReporter(producer, "t", every_s=60, clock=clock)  # type: ignore[arg-type]

    reporter.touch(KEY_A, T0)
    reporter.touch(KEY_A, T0 + timedelta(seconds=1))
    reporter.touch(KEY_B, T0)
    assert await reporter.report_due() == 2
    assert {(r.company_id, r.at) for r in producer.reports()} == {
        ("cmp_a", T0 + timedelta(seconds=1)), ("cmp_b", T0),
    }  # fmt: skip

    for second in range(2, 50):  # a busy key within the minute: nothing more is sent
        reporter.touch(KEY_A, T0 + timedelta(seconds=second))
        clock.now += 1
        assert await reporter.report_due() == 0
    clock.now += 12
    assert producer.sent == []
    assert await reporter.report_due() == 1
    assert [r.at for r in producer.reports()] == [T0 + timedelta(seconds=49)]
    assert await reporter.report_due() == 0  # nothing new, nothing sent


async def test_stopping_reports_what_is_still_pending() -> None:
    producer, clock = RecordingProducer(), Clock()
    reporter = KeyUseReporter(producer, "t", every_s=60, clock=clock)  # type: ignore[arg-type]
    reporter.touch(KEY_A, T0)
    await reporter.report_due()
    producer.reports()
    reporter.touch(KEY_A, T0 + timedelta(seconds=5))
    await reporter.stop()
    assert [r.at for r in producer.reports()] == [T0 + timedelta(seconds=5)]
