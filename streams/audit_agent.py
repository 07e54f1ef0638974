"""The audit agent: the single writer of each partition's hash chain.

audit.events partition p → chain p → audit.log partition p. One worker owns a partition at a
time, so each chain has one writer and never forks; more partitions, more chains, more
throughput.

Crash safety (delivery is at-least-once): after a crash, every event since the last committed
offset comes again, in the same order. The chain state lives in a changelogged table, and an
event that is found there (a "link" remembered by event id) is re-linked at its old seq: the
record comes out byte-identical and is sent again, so a lost output is restored and a
surviving one merely repeated (the sink's ReplacingMergeTree and `verify` both absorb
identical copies). An event not found is linked after the head. Since the replayed events
arrive in their original order, even an output that survived while its table writes did not
is recreated identically. This relies on audit.events being the chain's only input: a
second input topic would interleave differently on replay.

Table writes go to the chain's own changelog partition, in order, with the head written last;
a link or slot entry whose seq is past the head is a leftover of an interrupted write and is
ignored. Links are kept for the last `window` seqs of each chain (a ring of slots evicts
older ones), which bounds memory and must exceed the redelivery span (Faust commits at least
every 1,000 messages or 1 s).
"""

from __future__ import annotations

import logging
from typing import Any

from domain.audit import AuditEvent
from domain.audit_chain import AuditRecord, ChainHead, Extension, Link, Outcome, extend
from streams.audit_messages import (
    decode_audit_event,
    decode_chain_head,
    decode_link,
    encode_audit_record,
    encode_chain_head,
    encode_link,
)
from streams.messages import MessageError
from streams.topics import AUDIT_EVENTS, AUDIT_LOG
from streams.worker import WorkerKit

log = logging.getLogger(__name__)

DEDUP_WINDOW = 10_000


class ChainStore:
    """Chain state for the partitions this worker owns, in one bytes → bytes table.

    Keys, all changelogged to the chain's own partition:
      chain-{p}                   head (seq, hash): the commit point, written last
      chain-{p}-id-{event_id}     link (seq, prev_hash, hash) of a recently chained event
      chain-{p}-slot-{seq % W}    the event id at that seq, to forget links W seqs old
    """

    def __init__(self, table: Any, window: int = DEDUP_WINDOW) -> None:
        if window < 1:
            raise ValueError("the dedup window must hold at least one event")
        self._table = table  # a faust Table, or a dict in unit tests
        self._window = window

    def head(self, partition: int) -> ChainHead:
        raw = self._table.get(f"chain-{partition}".encode())
        return decode_chain_head(raw) if raw is not None else ChainHead()

    def append(self, partition: int, event: AuditEvent) -> Extension:
        head = self.head(partition)
        extension = extend(partition, head, self._known(partition, event.event_id, head), event)
        if extension.outcome is Outcome.APPENDED:
            assert extension.record is not None
            self._save(partition, extension.record)
        return extension

    def _known(self, partition: int, event_id: str, head: ChainHead) -> Link | None:
        raw = self._table.get(self._id_key(partition, event_id))
        if raw is None:
            return None
        link = decode_link(raw)
        # Trust the link only if the head covers it and its slot still names this event.
        slot = self._table.get(self._slot_key(partition, link.seq))
        return link if link.seq <= head.seq and slot == event_id.encode() else None

    def _save(self, partition: int, record: AuditRecord) -> None:
        event_id = record.event.event_id
        slot = self._slot_key(partition, record.seq)
        evicted = self._table.get(slot)
        if evicted is not None and evicted != event_id.encode():
            old = self._id_key(partition, evicted.decode())
            if old in self._table:
                del self._table[old]
        self._table[self._id_key(partition, event_id)] = encode_link(
            Link(record.seq, record.prev_hash, record.hash)
        )
        self._table[slot] = event_id.encode()
        self._table[f"chain-{partition}".encode()] = encode_chain_head(
            ChainHead(record.seq, record.hash)
        )

    @staticmethod
    def _id_key(partition: int, event_id: str) -> bytes:
        return f"chain-{partition}-id-{event_id}".encode()

    def _slot_key(self, partition: int, seq: int) -> bytes:
        return f"chain-{partition}-slot-{seq % self._window}".encode()


def register_audit(kit: WorkerKit, window: int = DEDUP_WINDOW) -> None:
    events = kit.topic(AUDIT_EVENTS)
    audit_log = kit.topic(AUDIT_LOG)
    store = ChainStore(kit.table("audit-chains"), window)

    # concurrency=1 (the default) is required: a chain is extended one event at a time, in order.
    @kit.app.agent(events, name="audit", concurrency=1)
    async def audit(stream: Any) -> None:
        async for event in stream.events():  # events, not values: the chain is the partition
            await process_audit(event.message.partition, event.value, store, audit_log)


async def process_audit(
    partition: int, raw: bytes, store: ChainStore, audit_log: Any
) -> Extension | None:
    """Decode one audit event, link it into its partition's chain, emit the record."""
    try:
        event = decode_audit_event(raw)
    except MessageError as exc:
        log.warning("skipping undecodable audit event in partition %s: %s", partition, exc)
        return None
    try:
        extension = store.append(partition, event)
    except ValueError as exc:  # unhashable content: a poison message must not stop the chain
        log.error("cannot chain audit event %s: %s", event.event_id, exc)
        return None
    if extension.record is None:
        log.warning(
            "audit event %s came again with other content; the first one stays chained",
            event.event_id,
        )
        return extension
    # Explicit partition: chain p lives in audit.log partition p whatever the key hashes to.
    await audit_log.send(
        key=(event.company_id or "-").encode(),
        value=encode_audit_record(extension.record),
        partition=partition,
    )
    return extension
