"""Issue 5, acceptance 2: reset the sink's consumer offsets to the beginning, run it again, and
every report number is the same (ReplacingMergeTree read with FINAL collapses the replay)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from quadra.runtime import sink_routes
from streams.admin import ensure_topics
from streams.sink import Sink, SinkConfig, SinkRoute
from streams.topics import TopicNames
from tests.analytics.replay_workload import workload
from tests.streams.kafka_helpers import producer
from tests.streams.test_sink import _run_sink_until

pytestmark = pytest.mark.kafka
PARTITIONS = 2

# What reports show, as plain SQL for now (the report queries read the same tables with FINAL).
REPORTS = {
    "orders by company, status, day": """
        SELECT company_id, status, toDate(created_at) AS day, product_type, provider,
               count(), sum(amount_value), sum(fee_value)
        FROM {orders} FINAL GROUP BY company_id, status, day, product_type, provider
        ORDER BY company_id, status, day, product_type, provider""",
    "order events by company and status": """
        SELECT company_id, status, count(), sum(amount_value)
        FROM {order_events} FINAL GROUP BY company_id, status ORDER BY company_id, status""",
    "ledger by company and kind": """
        SELECT company_id, currency, kind, count(), sum(amount)
        FROM {ledger_entries} FINAL GROUP BY company_id, currency, kind
        ORDER BY company_id, currency, kind""",
    "closing balances": """
        SELECT company_id, currency, argMax(available_after, (at, entry_id)),
               argMax(reserved_after, (at, entry_id))
        FROM {ledger_entries} FINAL GROUP BY company_id, currency ORDER BY company_id, currency""",
    "request log by company, direction, status": """
        SELECT company_id, direction, status, count(), sum(duration_ms)
        FROM {request_log} FINAL GROUP BY company_id, direction, status
        ORDER BY company_id, direction, status""",
    "audit log by chain": "SELECT chain, count(), max(seq) FROM {audit_log} FINAL GROUP BY chain ORDER BY chain",
    "webhook deliveries": """
        SELECT company_id, status, attempts FROM {webhook_deliveries} FINAL ORDER BY company_id""",
}
# Each table read with FINAL holds exactly one row per id.
DISTINCT = {
    "orders": "order_id", "order_events": "event_id", "ledger_entries": "entry_id",
    "request_log": "request_id", "audit_log": "hash", "webhook_attempts": "attempt_id",
}  # fmt: skip
TABLES = (*DISTINCT, "webhook_deliveries")


async def _reports(ch: ClickHouse) -> dict[str, list[tuple]]:
    tables = {t: ch.table(t) for t in TABLES}
    found = {name: await ch.query(sql.format(**tables)) for name, sql in REPORTS.items()}
    for table, key in DISTINCT.items():
        [(final, distinct)] = await ch.query(
            f"SELECT (SELECT count() FROM {tables[table]} FINAL), uniqExact({key}) FROM {tables[table]}"
        )
        assert final == distinct, f"{table}: {final} rows with FINAL, {distinct} distinct ids"
        found[f"{table} rows"] = [(final,)]
    return found


async def _rewind_group(bootstrap: str, group_id: str, topics: list[str], partitions: int) -> None:
    """What an operator does with `kafka-consumer-groups --reset-offsets --to-earliest`: commit
    offset 0 for every partition under the sink's group (stopped, so no member holds them)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        every = [TopicPartition(t, p) for t in topics for p in range(partitions)]
        consumer.assign(every)
        await consumer.commit({tp: 0 for tp in every})
    finally:
        await consumer.stop()


@dataclass
class SinkRuns:
    """The real sink over the replay workload (60 orders, every topic): `run` drains it once
    more with a new sink; `replay` first rewinds the sink's group to the beginning."""

    bootstrap: str
    clickhouse: ClickHouse
    routes: list[SinkRoute]
    config: SinkConfig
    total: int  # messages published

    @classmethod
    async def published(cls, bootstrap: str, prefix: str, clickhouse: ClickHouse) -> SinkRuns:
        names = TopicNames(prefix)
        await ensure_topics(bootstrap, names, PARTITIONS, 1)
        migrate(clickhouse)
        topics = workload(orders=60)
        async with producer(bootstrap) as p:
            for topic, sent in topics.items():
                for key, value in sent:
                    await p.send(names.prefix + topic, value, key=key)
            await p.flush()
        config = SinkConfig(bootstrap, f"{prefix}quadra-sink", batch_rows=97, flush_interval_s=0.2)
        return cls(bootstrap, clickhouse, sink_routes(names), config, sum(len(m) for m in topics.values()))

    async def run(self) -> Sink:
        sink = Sink(self.config, self.clickhouse, self.routes)
        await sink.start()
        await _run_sink_until(sink, self.total)
        return sink

    async def replay(self) -> Sink:
        topics = [r.topic for r in self.routes]
        await _rewind_group(self.bootstrap, self.config.group_id, topics, PARTITIONS)
        return await self.run()


async def test_replaying_every_topic_from_the_beginning_changes_no_report(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    runs = await SinkRuns.published(kafka_bootstrap, topic_prefix, clickhouse)
    total = runs.total
    first = await runs.run()
    assert (first.written_messages, first.skipped_messages) == (total, 0)
    before = await _reports(clickhouse)
    assert before["orders rows"] == [(60,)] and before["ledger_entries rows"][0][0] > 60
    assert {row[1] for row in before["orders by company, status, day"]} >= {"completed", "failed", "rejected"}
    assert any(row[1] == "webhook" for row in before["request log by company, direction, status"])

    again = await runs.replay()
    assert again.written_messages == total  # everything was read and written a second time

    assert await _reports(clickhouse) == before
