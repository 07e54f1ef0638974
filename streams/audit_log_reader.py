"""Reads the audit.log topic from the broker, whole, for `quadra audit verify --source kafka`."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from domain.audit_chain import AuditRecord
from streams.audit_messages import decode_audit_record
from streams.messages import MessageError


@dataclass(frozen=True, slots=True)
class AuditLogSnapshot:
    records: tuple[AuditRecord, ...]  # in topic order; replays may repeat a record
    undecodable: tuple[str, ...]  # "partition/offset: why" of records that are not audit records


async def read_audit_log(bootstrap: str, topic: str) -> AuditLogSnapshot:
    """Everything in `topic` up to its end offsets at the time of the call."""
    partitions = await _partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=30_000
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        records: list[AuditRecord] = []
        undecodable: list[str] = []
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        continue  # written after we started: the next check will see it
                    try:
                        records.append(decode_audit_record(message.value))
                    except MessageError as exc:
                        undecodable.append(f"{tp.partition}/{message.offset}: {exc}")
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return AuditLogSnapshot(tuple(records), tuple(undecodable))
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = sorted(p["partition"] for t in described for p in t.get("partitions", []))
    if not partitions:
        raise LookupError(f"topic {topic} does not exist")
    return partitions
