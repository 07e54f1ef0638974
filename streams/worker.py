"""The Faust worker app that hosts the agents owning a company's partition.

Delivery is at-least-once (Faust flushes the producer before it commits offsets); what makes
it effectively once is that every output is deterministic: a redelivered message re-creates
the same outputs with the same ids, and every consumer de-duplicates by those ids.

Each agent lives in its own module with a `register_*(kit, ...)` function; the composition
root decides which agents a worker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from streams.topics import TopicNames, TopicSpec


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    app_id: str
    bootstrap: str
    partitions: int
    replication: int
    topics: TopicNames
    state_dir: Path


@dataclass(frozen=True, slots=True)
class WorkerKit:
    """What an agent module needs to declare its topics, tables and agents."""

    app: Any  # faust.App; typed loosely because faust's typing is incomplete
    config: WorkerConfig

    def topic(self, spec: TopicSpec) -> Any:
        return self.app.topic(
            self.config.topics(spec),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )

    def table(self, name: str, partitions: int | None = None) -> Any:
        """A bytes → bytes table, changelogged to the partition of the event being processed.
        `partitions` must match the source topic's (1 for single-partition control topics)."""
        return self.app.Table(
            name, partitions=partitions or self.config.partitions, key_type=bytes, value_type=bytes
        )


def build_worker_app(
    config: WorkerConfig, registrations: Sequence[Callable[[WorkerKit], None]]
) -> faust.App:
    config.state_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        config.app_id,
        broker=f"kafka://{config.bootstrap}",
        datadir=str(config.state_dir),
        store="memory://",
        web_enabled=False,
        topic_partitions=config.partitions,
        topic_replication_factor=config.replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        table_standby_replicas=0,
        # A worker killed with -9 holds its partitions until its session times out.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
        # Our own codec encodes every value (streams.messages); tables store those bytes.
        key_serializer="raw",
        value_serializer="raw",
    )

    kit = WorkerKit(app, config)
    for register in registrations:
        register(kit)
    return app
