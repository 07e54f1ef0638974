"""The transactional processor when loading a new assignment's state fails: aiokafka only logs
what a rebalance listener raises, so the processor itself must refuse to go on without the
state (docs/reliability.md: a restore that failed on every assignment left `_states` without
the partitions and every batch failed with a bare `KeyError`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping

import pytest
from aiokafka import ConsumerRecord

from streams.admin import ensure_topics
from streams.topics import INTAKE_REPLIES, INTAKE_STATE, ORDERS_REQUESTED, TopicNames
from streams.txn_processor import Output, PartitionState, ProcessorConfig, TransactionalProcessor
from tests.streams.kafka_helpers import producer, read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 2


class BrokenRestore:
    """Echoes each record to the output topic; its restore fails the first `failures` times."""

    def __init__(self, output: str, failures: int) -> None:
        self._output = output
        self.failures = failures
        self.restores = 0

    async def restore(self, states: Mapping[int, PartitionState]) -> None:
        self.restores += 1
        if self.failures:
            self.failures -= 1
            raise ValueError("orders must come in time order (1795785229 after 1795785238)")
        for state in states.values():
            state.derived = "restored"

    def __call__(self, state: PartitionState, record: ConsumerRecord) -> list[Output]:
        assert state.derived == "restored", "a record was handled without its partition's state"
        assert record.key is not None and record.value is not None
        return [Output(self._output, record.key, record.value, state.partition)]


@contextlib.asynccontextmanager
async def running(bootstrap: str, prefix: str, handler: BrokenRestore) -> AsyncIterator[TransactionalProcessor]:
    names = TopicNames(prefix)
    await ensure_topics(bootstrap, names, PARTITIONS, 1, (ORDERS_REQUESTED, INTAKE_STATE, INTAKE_REPLIES))
    processor = TransactionalProcessor(
        ProcessorConfig(bootstrap, f"{prefix}g", f"{prefix}w1", (names(ORDERS_REQUESTED),), names(INTAKE_STATE),
                        session_timeout_ms=6000, retry_backoff_s=0.1),
        handler,
    )  # fmt: skip
    task = asyncio.create_task(processor.run())
    try:
        yield processor
    finally:
        await processor.stop()
        await asyncio.wait_for(task, 60)


async def send_to_every_partition(bootstrap: str, topic: str) -> None:
    async with producer(bootstrap) as p:
        for partition in range(PARTITIONS):
            await p.send_and_wait(topic, f"r{partition}".encode(), key=b"k", partition=partition)


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "loading the state of partitions" in r.getMessage()]


def no_key_error(caplog: pytest.LogCaptureFixture) -> None:
    assert "KeyError" not in caplog.text  # messages and tracebacks


async def test_a_failed_restore_reopens_and_the_next_assignment_loads_it(
    kafka_bootstrap: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    names = TopicNames(topic_prefix)
    handler = BrokenRestore(names(INTAKE_REPLIES), failures=2)
    async with running(kafka_bootstrap, topic_prefix, handler) as processor:
        await send_to_every_partition(kafka_bootstrap, names(ORDERS_REQUESTED))
        echoed = await read_topic(kafka_bootstrap, names(INTAKE_REPLIES), PARTITIONS, PARTITIONS, timeout=90)
    no_key_error(caplog)
    assert sorted(r.value for r in echoed) == [b"r0", b"r1"]  # each once: nothing committed without state
    assert handler.restores == 3
    assert processor.failed_batches == 2
    assert failures(caplog) == [f"{topic_prefix}w1: loading the state of partitions [0, 1] failed; reopening"] * 2


async def test_a_restore_that_always_fails_processes_nothing_and_says_so(
    kafka_bootstrap: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    names = TopicNames(topic_prefix)
    handler = BrokenRestore(names(INTAKE_REPLIES), failures=10**6)
    async with running(kafka_bootstrap, topic_prefix, handler) as processor:
        await send_to_every_partition(kafka_bootstrap, names(ORDERS_REQUESTED))
        deadline = time.monotonic() + 90
        while handler.restores < 3:
            assert time.monotonic() < deadline, f"only {handler.restores} restores in 90 s"
            await asyncio.sleep(0.2)
    no_key_error(caplog)
    assert processor.committed_batches == 0
    assert processor.failed_batches >= 2
    assert len(failures(caplog)) >= 3
    surfaced = [r for r in caplog.records if r.exc_info and "state of partitions [0, 1] not loaded" in str(r.exc_info[1])]
    assert surfaced, "run() must see the failure, naming the partitions and the cause"
    assert "ValueError: orders must come in time order" in str(surfaced[0].exc_info[1])  # type: ignore[index]
