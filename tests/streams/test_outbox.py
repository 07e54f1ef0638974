"""The outbox: bounded waits, the fsynced spool, replays (streams/outbox.py, streams/spool.py).

A fake producer stands for the broker (present, away, refusing); the spool is a real directory.
The flow through a real broker that stops is tests/e2e/test_broker_faults.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.outbox import KafkaOutbox
from streams.spool import SpooledRecord, SpoolFile, SpoolFull


class FakeBroker:
    """send_and_wait as the producer's: acknowledges at once, never (away), or raises."""

    def __init__(self) -> None:
        self.mode = "up"
        self.acked: list[tuple[str, bytes, bytes]] = []
        self.waiting: list[asyncio.Future[None]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        if self.mode == "refusing":
            raise ConnectionError("broker refused")
        if self.mode == "away":
            back: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiting.append(back)
            await back  # until the broker returns
        self.acked.append((topic, key, value))

    def come_back(self) -> None:
        self.mode = "up"
        for back in self.waiting:
            if not back.done():
                back.set_result(None)
        self.waiting.clear()


def _outbox(broker: FakeBroker, tmp_path: Path, wait_s: float = 0.05) -> tuple[KafkaOutbox, SpoolFile]:
    spool = SpoolFile(tmp_path / "outbox")
    return KafkaOutbox(broker.send_and_wait, spool, wait_s, retry_s=0.01), spool


async def test_with_the_broker_up_a_record_goes_to_kafka_and_nothing_to_disk(tmp_path: Path) -> None:
    broker = FakeBroker()
    outbox, spool = _outbox(broker, tmp_path)
    await outbox.send_and_wait("requests.log", b"{}", key=b"cmp_a")
    assert broker.acked == [("requests.log", b"cmp_a", b"{}")]
    assert not spool.pending()


@pytest.mark.parametrize("mode", ["away", "refusing"])
async def test_without_the_broker_the_wait_is_bounded_and_the_record_is_spooled(tmp_path: Path, mode: str) -> None:
    broker = FakeBroker()
    broker.mode = mode
    outbox, spool = _outbox(broker, tmp_path, wait_s=0.2)
    started = time.monotonic()
    await outbox.send_and_wait("requests.log", b'{"id":1}', key=b"cmp_a")
    assert time.monotonic() - started < 2.0
    [batch] = spool.batches()
    assert spool.read(batch) == [SpooledRecord("requests.log", b"cmp_a", b'{"id":1}')]


async def test_a_replay_sends_every_spooled_record_once_the_broker_is_back_and_empties_the_spool(tmp_path: Path) -> None:
    broker = FakeBroker()
    broker.mode = "away"
    outbox, spool = _outbox(broker, tmp_path)
    for n in range(5):
        await outbox.send_and_wait("audit.events", f"{n}".encode(), key=b"k")
    assert await outbox.replay() == 0  # still away: the first record probes, nothing leaves
    assert spool.pending()
    broker.come_back()
    assert await outbox.replay() == 5
    assert not spool.pending()
    # The late acknowledgements of the first sends and the replays: every record at least once.
    assert {value for _, _, value in broker.acked} == {b"0", b"1", b"2", b"3", b"4"}


async def test_run_replays_what_an_earlier_process_left_and_what_is_spooled_later(tmp_path: Path) -> None:
    SpoolFile(tmp_path / "outbox").append([SpooledRecord("requests.log", b"k", b"left by a crash")])
    broker = FakeBroker()
    outbox, spool = _outbox(broker, tmp_path)
    running = asyncio.create_task(outbox.run())
    try:
        await _until(lambda: not spool.pending())
        assert broker.acked == [("requests.log", b"k", b"left by a crash")]
        broker.mode = "refusing"
        await outbox.send_and_wait("requests.log", b"during", key=b"k")
        broker.mode = "up"
        await _until(lambda: not spool.pending())
        assert broker.acked[-1] == ("requests.log", b"k", b"during")
    finally:
        running.cancel()


async def test_a_torn_last_line_is_skipped_and_the_rest_replayed(tmp_path: Path) -> None:
    spool = SpoolFile(tmp_path / "outbox")
    spool.append([SpooledRecord("t", b"k", b"whole")])
    with open(tmp_path / "outbox" / "current.jsonl", "ab") as f:
        f.write(b'{"topic": "t", "key": "aw==", "val')  # a crash in the middle of an append
    broker = FakeBroker()
    outbox = KafkaOutbox(broker.send_and_wait, spool, 0.05)
    assert await outbox.replay() == 1
    assert broker.acked == [("t", b"k", b"whole")]
    assert not spool.pending()


async def test_appends_during_a_replay_go_to_a_new_batch_and_are_not_lost(tmp_path: Path) -> None:
    spool = SpoolFile(tmp_path / "outbox")
    spool.append([SpooledRecord("t", b"k", b"first")])
    [first] = spool.batches()
    spool.append([SpooledRecord("t", b"k", b"second")])
    spool.remove(first)  # the first batch replayed
    [second] = spool.batches()
    assert spool.read(second) == [SpooledRecord("t", b"k", b"second")]


def test_a_full_spool_refuses_and_keeps_what_it_has(tmp_path: Path) -> None:
    spool = SpoolFile(tmp_path / "outbox", max_bytes=1024)
    spool.append([SpooledRecord("t", b"k", b"x" * 300)])
    with pytest.raises(SpoolFull):
        spool.append([SpooledRecord("t", b"k", b"y" * 600)])
    [batch] = spool.batches()
    assert spool.read(batch) == [SpooledRecord("t", b"k", b"x" * 300)]


async def test_when_neither_broker_nor_spool_takes_a_record_the_caller_hears_it(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_text("a file where the spool's directory should be")
    broker = FakeBroker()
    broker.mode = "refusing"
    outbox, _ = _outbox(broker, tmp_path)
    with pytest.raises(OSError):
        await outbox.send_and_wait("t", b"v", key=b"k")


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)
