"""Bounded transactions and stops (streams/kafka_clients.py), on a real broker.

A transactional aiokafka producer never gives up a batch or a commit: it retries until the broker
answers, and its `stop()` waits for the same flush. The soak saw four processors hang like that
for more than seven minutes after a broker restart (the broker refused their produce requests
with the retriable NOT_ENOUGH_REPLICAS while it could not verify the transactions). Here the
broker of the test's own is paused (SIGSTOP) instead: the same unending wait, on demand."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from quadra.local_kafka import LocalKafka
from streams.kafka_clients import TransactionStuck, stop_all, within
from tests.e2e.conftest import broker_at
from tests.streams.kafka_helpers import read_topic

pytestmark = pytest.mark.kafka

@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Abandoned and fenced producers leave futures nobody retrieves (see test_fencing.py)."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def paused_broker_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    with broker_at(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


async def _ready(admin: AIOKafkaAdminClient, name: str) -> bool:
    cluster = await admin.describe_cluster()
    [described] = await admin.describe_topics([name])
    leaders = [p["leader"] for p in described.get("partitions", [])]
    return bool(cluster.get("brokers")) and bool(leaders) and all(leader >= 0 for leader in leaders)


@pytest.fixture
async def topic(paused_broker_home: LocalKafka, request: pytest.FixtureRequest) -> str:
    """A topic of the test's own: an abandoned transaction holds its partition's LSO back."""
    name = request.node.name.removeprefix("test_")[:100]
    deadline = time.monotonic() + 60
    while True:  # the previous test paused the broker: it may still be catching up
        admin = AIOKafkaAdminClient(bootstrap_servers=paused_broker_home.bootstrap)
        try:
            await admin.start()
            await admin.create_topics([NewTopic(name, 1, 1)])
            # Also wait for metadata that names a broker and the partition's leader: a client
            # that bootstraps from an emptier answer fails its coordinator lookup (seen in CI:
            # "Did we not perform bootstrap?" from a transactional producer's start).
            while not await _ready(admin, name):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no leader for {name}")
                await asyncio.sleep(0.5)
            return name
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


@pytest.fixture
def broker(paused_broker_home: LocalKafka) -> LocalKafka:
    return paused_broker_home


def _transactional(bootstrap: str, transactional_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=transactional_id,
                            enable_idempotence=True, acks="all", transaction_timeout_ms=10_000)  # fmt: skip


async def _stuck_in_a_produce(producer: AIOKafkaProducer, broker: LocalKafka, topic: str) -> None:
    """A transaction with one record written and one that the paused broker never answers: its
    commit waits for that produce and never sends EndTxn (as with a produce refused forever)."""
    await producer.start()
    await producer.begin_transaction()
    await producer.send_and_wait(topic, b"written, then aborted", key=b"k")
    os.kill(_pid(broker), signal.SIGSTOP)
    await producer.send(topic, b"never answered", key=b"k")


def _pid(broker: LocalKafka) -> int:
    pid = broker.status().pid
    assert pid is not None
    return pid


async def test_a_commit_waiting_for_an_unanswered_produce_ends_at_its_deadline(broker: LocalKafka, topic: str) -> None:
    stuck = _transactional(broker.bootstrap, f"{topic}.tx")
    try:
        await _stuck_in_a_produce(stuck, broker, topic)
        began = time.monotonic()
        with pytest.raises(TransactionStuck, match="the test commit did not finish within 2 s"):
            await within(stuck.commit_transaction(), 2.0, "the test commit")
        assert time.monotonic() - began < 5
        began = time.monotonic()
        await stop_all(stuck, timeout_s=2.0)
        # Without the bound, stop() waits as long as the broker does not answer (forever here).
        assert time.monotonic() - began < 15  # 2 s for stop(), at most 5 s per close step
    finally:
        os.kill(_pid(broker), signal.SIGCONT)
        await stop_all(stuck, timeout_s=2.0)


async def test_an_abandoned_producers_successor_aborts_what_it_left_open(broker: LocalKafka, topic: str) -> None:
    stuck = _transactional(broker.bootstrap, f"{topic}.tx")
    try:
        await _stuck_in_a_produce(stuck, broker, topic)
        with pytest.raises(TransactionStuck):
            await within(stuck.commit_transaction(), 1.0, "the abandoned commit")
        await stop_all(stuck, timeout_s=1.0)
    finally:
        os.kill(_pid(broker), signal.SIGCONT)

    successor = _transactional(broker.bootstrap, f"{topic}.tx")
    await within(successor.start(), 60.0, "the successor's start")  # fences and aborts
    try:
        await successor.begin_transaction()
        await successor.send(topic, b"committed by the successor", key=b"k")
        await within(successor.commit_transaction(), 30.0, "the successor's commit")
    finally:
        await stop_all(successor)
    values = [r.value for r in await read_topic(broker.bootstrap, topic, 1, 1)]
    assert values == [b"committed by the successor"]
