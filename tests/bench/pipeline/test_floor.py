"""The floor bench: counting what an order moves (real broker), the unit costs' bookkeeping,
and the arithmetic from both to the orders/s bound."""

from __future__ import annotations

import asyncio

import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.broker import create_topics
from bench.pipeline.flow_counts import FlowCounts, TopicFlow, flow_counts
from bench.pipeline.floor import MINIMAL_FLOW, Flow, floor_ms, flow_from_counts, report
from bench.pipeline.unit_costs import UnitCost, kafka_costs


def _cost(name: str, client_ms: float, server_ms: float | None, units: int = 1000) -> UnitCost:
    return UnitCost(name, units, 1.0, client_ms * units / 1000, None if server_ms is None else server_ms * units / 1000)


def test_a_topic_counts_once_per_group_reading_it() -> None:
    counts = FlowCounts(
        (TopicFlow("orders.requested", 100, ("intake", "sink")), TopicFlow("ledger.state", 50, ())),
        {"inbound": 110, "outbound": 150, "webhook": 100},
    )
    assert (counts.produced, counts.consumed) == (150, 200)
    assert counts.per_order(100) == {
        "produced": 1.5, "consumed": 2.0, "http_inbound": 1.1, "http_outbound": 1.5, "http_webhook": 1.0,
    }  # fmt: skip
    assert FlowCounts.from_json(orjson.loads(orjson.dumps(counts.as_json()))) == counts
    assert flow_from_counts(counts, 100) == Flow("the pipeline today", 1.5, 2.0, 3.6)


def test_the_floor_is_each_transport_times_its_use_and_the_bound_follows() -> None:
    produce, consume, http = _cost("p", 0.02, 0.01), _cost("c", 0.005, 0.005), _cost("h", 0.2, 0.3)
    flow = Flow("f", produced=10, consumed=20, http=2)
    assert floor_ms(flow, produce, consume, http) == 10 * 0.03 + 20 * 0.01 + 2 * 0.5
    text = report([flow], [produce, consume, http], cores=2, target=1000)
    assert "≤ 2.00 ms" in text  # 2 cores ÷ 1,000 orders/s
    assert "floor 1.50 ms/order → at most 1,333 orders/s on 2 cores (0.75x the budget)" in text
    assert floor_ms(MINIMAL_FLOW, produce, consume, http) == 6 * 0.03 + 8 * 0.01 + 3 * 0.5


def test_an_unknown_server_costs_nothing_and_says_so() -> None:
    cost = _cost("h", 0.2, None)
    assert cost.total_ms == cost.client_ms and "server n/a" in report([MINIMAL_FLOW], [cost, cost, cost], 2, 1000)


async def test_flow_counts_reads_committed_records_and_the_groups_of_each_topic(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    decided, log = f"{topic_prefix}orders.decided", f"{topic_prefix}requests.log"
    attempts = f"{topic_prefix}webhooks.attempts"
    await create_topics(kafka_bootstrap, [decided, log, attempts], 2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=f"{topic_prefix}tx")
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(5):
                await producer.send(decided, b"{}", key=str(i).encode())
            for direction in ("inbound", "inbound", "outbound"):
                await producer.send(log, orjson.dumps({"direction": direction}), key=b"k")
            # Enqueued (no url: nothing sent), then two attempts, one of them written twice.
            for attempt, url in (("m:0", ""), ("m:1", "https://p"), ("m:2", "https://p"), ("m:1", "https://p")):
                await producer.send(attempts, orjson.dumps({"attempt_id": attempt, "url": url}), key=b"k")
        await producer.begin_transaction()  # aborted: its records are not counted
        await producer.send(decided, b"{}", key=b"x")
        await producer.abort_transaction()
    finally:
        await producer.stop()
    reader = AIOKafkaConsumer(
        decided, bootstrap_servers=kafka_bootstrap, group_id=f"{topic_prefix}ledger",
        auto_offset_reset="earliest", enable_auto_commit=False, isolation_level="read_committed",
    )  # fmt: skip
    await reader.start()
    try:
        await reader.getmany(timeout_ms=5000)
        await reader.commit({TopicPartition(decided, p): 1 for p in range(2)})
    finally:
        await reader.stop()

    counts = await asyncio.wait_for(flow_counts(kafka_bootstrap, topic_prefix), 60)

    by_topic = {t.topic: t for t in counts.topics}
    assert by_topic["orders.decided"] == TopicFlow("orders.decided", 5, ("ledger",))
    assert by_topic["requests.log"] == TopicFlow("requests.log", 3, ())
    assert by_topic["webhooks.attempts"].records == 4
    assert counts.http == {"inbound": 2, "outbound": 1, "webhook": 2}


async def test_kafka_costs_move_every_record_and_charge_the_broker_when_known(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    produce, consume = await asyncio.wait_for(
        kafka_costs(kafka_bootstrap, topic_prefix, None, messages=300, message_bytes=200, batch=100), 60
    )
    assert (produce.units, consume.units) == (300, 300)
    # CPU times tick in 10 ms: a few hundred records may read as 0, never as less.
    assert produce.server_ms is None and produce.client_ms >= 0 and consume.client_ms >= 0
    assert produce.wall_s > 0 and consume.wall_s > 0
    with_server = await asyncio.wait_for(
        kafka_costs(kafka_bootstrap, f"{topic_prefix}b.", psutil.Process(), messages=100, message_bytes=200, batch=50),
        60,
    )
    assert all(c.server_ms is not None and c.server_ms >= 0 for c in with_server)
