"""The audit agent: the single writer of each partition's hash chain.

audit.events partition p → chain p → audit.log partition p. One worker owns a partition at a
time, so each chain has one writer and never forks; more partitions, more chains, more
throughput.

Crash safety: the agent runs on the transactional processor, so a chain's head, its remembered
links and the emitted record commit together with the input offset; a crash replays uncommitted
events against the committed chain and re-creates identical records. Links are remembered by
event id for the last `window` seqs of each chain (a ring of slots evicts older ones), so an
event sent twice (a retried publish) is re-linked at its old seq, never chained twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord

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
from streams.topics import AUDIT_EVENTS, AUDIT_LOG, TopicNames
from streams.txn_processor import Output, PartitionState

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


class AuditHandler:
    """For the transactional processor: audit.events partition p extends chain p, whose state
    lives in the processor's state of partition p and commits with the emitted record."""

    def __init__(self, names: TopicNames, window: int = DEDUP_WINDOW) -> None:
        self._events = names(AUDIT_EVENTS)
        self._log = names(AUDIT_LOG)
        self._window = window

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self._events,)

    def __call__(self, state: PartitionState, record: ConsumerRecord) -> Sequence[Output]:
        extension = chain_audit_event(record.partition, record.value, ChainStore(state, self._window))
        if extension is None or extension.record is None:
            return ()
        chained = extension.record
        # Explicit partition: chain p lives in audit.log partition p whatever the key hashes to.
        key = (chained.event.company_id or "-").encode()
        return (Output(self._log, key, encode_audit_record(chained), partition=record.partition),)


def chain_audit_event(partition: int, raw: bytes | None, store: ChainStore) -> Extension | None:
    """Decode one audit event and link it into its partition's chain; None when undecodable.
    The extension's record is what to emit (None for a conflicting repeat)."""
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
