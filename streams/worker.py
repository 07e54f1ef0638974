"""The Faust worker app: the agents that own a company's partition.

Delivery is at-least-once (Faust flushes the producer before it commits offsets); what makes
it effectively once is that every output is deterministic: a redelivered request re-creates
the same order with the same event ids, and every consumer de-duplicates by those ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from domain.intake import Decide, admit, idempotency_scope
from domain.orders import OrderStatus
from streams import messages
from streams.topics import (
    INTAKE_REPLIES,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    ORDERS_REQUESTED,
    TopicNames,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    app_id: str
    bootstrap: str
    partitions: int
    replication: int
    topics: TopicNames
    state_dir: Path


@dataclass(frozen=True, slots=True)
class IntakeOutputs:
    events: Any  # faust topics; typed loosely because faust's typing is incomplete
    decided: Any
    replies: Any


def build_worker_app(config: WorkerConfig, decide: Decide) -> faust.App:
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

    def raw_topic(name: str) -> Any:
        return app.topic(
            name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
        )

    names = config.topics
    requested = raw_topic(names(ORDERS_REQUESTED))
    outputs = IntakeOutputs(
        events=raw_topic(names(ORDERS_EVENTS)),
        decided=raw_topic(names(ORDERS_DECIDED)),
        replies=raw_topic(names(INTAKE_REPLIES)),
    )
    entries = app.Table(
        "intake-entries",
        partitions=config.partitions,
        key_type=bytes,
        value_type=bytes,
    )

    @app.agent(requested, name="intake")
    async def intake(stream: Any) -> None:
        async for value in stream:
            await process_intake(value, entries, decide, outputs)

    return app


async def process_intake(
    raw: bytes, entries: Any, decide: Decide, outputs: IntakeOutputs
) -> None:
    """Decode one order request, admit it, store the entry, emit events and the reply."""
    try:
        request = messages.decode_order_request(raw)
    except messages.MessageError as exc:
        log.warning("skipping undecodable order request: %s", exc)
        return
    scope = idempotency_scope(request.company_id, request.idempotency_key).encode()
    stored = entries.get(scope)
    existing = messages.decode_intake_entry(stored) if stored is not None else None
    result = admit(request, existing, decide)
    if result.entry is not None:
        entries[scope] = messages.encode_intake_entry(result.entry)

    key = request.company_id.encode()
    for event in result.events:
        encoded = messages.encode_order_event(event)
        await outputs.events.send(key=key, value=encoded)
        if event.order.status is not OrderStatus.RECEIVED:
            await outputs.decided.send(key=key, value=encoded)
    reply = messages.IntakeReply(request.request_id, result.admission, result.order)
    await outputs.replies.send(key=key, value=messages.encode_intake_reply(reply))
