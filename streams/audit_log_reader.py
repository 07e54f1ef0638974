"""Reads the audit.log topic from the broker, whole, for `quadra audit verify --source kafka`."""

from __future__ import annotations

from dataclasses import dataclass

from domain.audit_chain import AuditRecord
from streams.audit_messages import decode_audit_record
from streams.messages import MessageError
from streams.topic_reader import read_whole


@dataclass(frozen=True, slots=True)
class AuditLogSnapshot:
    records: tuple[AuditRecord, ...]  # in topic order; replays may repeat a record
    undecodable: tuple[str, ...]  # "partition/offset: why" of records that are not audit records


async def read_audit_log(bootstrap: str, topic: str) -> AuditLogSnapshot:
    """Everything in `topic` up to its end offsets at the time of the call."""
    records: list[AuditRecord] = []
    undecodable: list[str] = []
    for message in (await read_whole(bootstrap, [topic]))[topic]:
        try:
            records.append(decode_audit_record(message.value))
        except MessageError as exc:
            undecodable.append(f"{message.partition}/{message.offset}: {exc}")
    return AuditLogSnapshot(tuple(records), tuple(undecodable))
