"""Hash chains over audit events: canonical form, linking, and verification. Pure.

A chain is a sequence of records numbered 1, 2, 3, … Each record's hash covers the previous
record's hash, its own seq and the canonical form of its event:

    hash = SHA-256( prev_hash "\\n" seq "\\n" canonical(event) )   (hex, lower case)

The first record's prev_hash is GENESIS_HASH (64 zeros). Changing any field of any record,
deleting, inserting or reordering records therefore breaks the chain at that point, which
`verify` finds and names. What a plain hash chain cannot see is the loss of its newest records
(nothing comes after them) or a forger who rewrites every hash from some point on; the copy in
Kafka (audit.log, kept forever) is the independent witness for those.

Chains are numbered by the audit.events partition they come from: each partition has exactly
one writer (the audit agent that owns it), so a chain never forks and grows with the cluster.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.audit import AuditEvent

GENESIS_HASH = "0" * 64
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _check_plain(value: Any) -> None:
    # json.dumps would quietly turn int keys into strings: the value read back would differ.
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit details must have string keys, not {key!r}")
            _check_plain(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_plain(item)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    _check_plain(value)
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details must be plain JSON with string keys: {exc}") from exc


def canonical_time(at: datetime) -> str:
    """UTC with microseconds, so one instant has one spelling whatever zone it was given in."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit timestamps must carry a time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: AuditEvent) -> bytes:
    return canonical_json(
        {
            "event_id": event.event_id,
            "at": canonical_time(event.at),
            "actor_kind": event.actor_kind.value,
            "actor_id": event.actor_id,
            "company_id": event.company_id,
            "action": event.action,
            "target": event.target,
            "request_id": event.request_id,
            "ip": event.ip,
            "details": event.details,
        }
    ).encode()


def link_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    digest = hashlib.sha256(f"{prev_hash}\n{seq}\n".encode())
    digest.update(canonical_event(event))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One link: the event as recorded at position `seq` of chain `chain`."""

    chain: int
    seq: int
    prev_hash: str
    hash: str
    event: AuditEvent


def chain(prev_hash: str, seq: int, event: AuditEvent, *, chain_id: int) -> AuditRecord:
    """The record that puts `event` at `seq`, after the record whose hash is `prev_hash`."""
    if not _HEX64.match(prev_hash):
        raise ValueError("prev_hash must be 64 lower-case hex digits")
    if seq < 1 or chain_id < 0:
        raise ValueError("seq starts at 1 and chain ids are partition numbers (>= 0)")
    return AuditRecord(chain_id, seq, prev_hash, link_hash(prev_hash, seq, event), event)


# --- extending a chain exactly once per event --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True, slots=True)
class Link:
    """What a chain remembers of a recently chained event, to recognise it when it comes again."""

    seq: int
    prev_hash: str
    hash: str


class Outcome(str, enum.Enum):
    APPENDED = "appended"  # a new link: emit the record, store the new head
    REPEATED = "repeated"  # the same event again: emit the identical record, change nothing
    CONFLICT = "conflict"  # the same event id with other content: chained already, drop it


@dataclass(frozen=True, slots=True)
class Extension:
    outcome: Outcome
    head: ChainHead
    record: AuditRecord | None  # None only for CONFLICT


def extend(chain_id: int, head: ChainHead, known: Link | None, event: AuditEvent) -> Extension:
    """Add `event` to the chain whose newest link is `head`, unless it is already in it.

    `known` is the link this event id got before, if the chain still remembers one. A
    redelivered event is re-linked at its old position: the record comes out byte-identical
    (same seq, same hash), so re-emitting it is harmless and never forks the chain.
    """
    if known is not None:
        again = chain(known.prev_hash, known.seq, event, chain_id=chain_id)
        if again.hash == known.hash:
            return Extension(Outcome.REPEATED, head, again)
        return Extension(Outcome.CONFLICT, head, None)
    record = chain(head.hash, head.seq + 1, event, chain_id=chain_id)
    return Extension(Outcome.APPENDED, ChainHead(record.seq, record.hash), record)


# --- verification ------------------------------------------------------------------------------


class Problem(str, enum.Enum):
    HASH_MISMATCH = "hash_mismatch"  # a field of the record was changed after it was chained
    PREV_HASH_MISMATCH = "prev_hash_mismatch"  # the record does not follow the one before it
    SEQ_GAP = "seq_gap"  # a record is missing
    DUPLICATE_SEQ = "duplicate_seq"  # two different records claim one position


@dataclass(frozen=True, slots=True)
class BrokenLink:
    chain: int
    seq: int
    problem: Problem
    detail: str

    def describe(self) -> str:
        return f"chain {self.chain}, seq {self.seq}: {self.problem.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: int
    records: int  # distinct positions seen (identical copies of a record count once)
    head_seq: int  # the last record verified intact (0: none)
    head_hash: str
    broken: BrokenLink | None  # the first broken link of this chain


@dataclass(frozen=True, slots=True)
class VerifyResult:
    chains: tuple[ChainReport, ...]  # ordered by chain id

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def broken(self) -> BrokenLink | None:
        """The first broken link: lowest chain id, then lowest seq."""
        return next((c.broken for c in self.chains if c.broken is not None), None)

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chains)


def _short(h: str) -> str:
    return h[:16] + "…"


class _ChainWalk:
    def __init__(self, chain_id: int) -> None:
        self.chain = chain_id
        self.last: AuditRecord | None = None  # last record seen, for duplicate checks
        self.records = 0
        self.head = ChainHead()
        self.broken: BrokenLink | None = None

    def feed(self, record: AuditRecord) -> None:
        last = self.last
        if last is not None and record.seq < last.seq:
            raise ValueError(
                f"chain {self.chain}: records out of order ({record.seq} after {last.seq})"
            )
        if last is not None and record.seq == last.seq:
            # Identical copies are replays (at-least-once delivery); different ones a forgery.
            if record != last:
                self._break(record.seq, Problem.DUPLICATE_SEQ, "two different records at this seq")
            return
        self.last = record
        self.records += 1
        if self.broken is not None:
            return  # only the first break is reported; the rest is counted
        expected = self.head.seq + 1
        if record.seq != expected:
            missing = f"seq {expected} is missing (next found: {record.seq})"
            self._break(expected, Problem.SEQ_GAP, missing)
        elif record.prev_hash != self.head.hash:
            self._break(
                record.seq,
                Problem.PREV_HASH_MISMATCH,
                f"prev_hash {_short(record.prev_hash)} but seq {self.head.seq} "
                f"hashes to {_short(self.head.hash)}",
            )
        else:
            actual = self._hash(record)
            if actual != record.hash:
                self._break(
                    record.seq,
                    Problem.HASH_MISMATCH,
                    f"stored hash {_short(record.hash)} but the record hashes to {_short(actual)}",
                )
            else:
                self.head = ChainHead(record.seq, record.hash)

    @staticmethod
    def _hash(record: AuditRecord) -> str:
        try:
            return link_hash(record.prev_hash, record.seq, record.event)
        except ValueError as exc:  # e.g. details that are no longer plain JSON
            return f"<cannot hash: {exc}>"

    def _break(self, seq: int, problem: Problem, detail: str) -> None:
        if self.broken is None:
            self.broken = BrokenLink(self.chain, seq, problem, detail)

    def report(self) -> ChainReport:
        return ChainReport(self.chain, self.records, self.head.seq, self.head.hash, self.broken)


def verify_ordered(records: Iterable[AuditRecord]) -> VerifyResult:
    """Verify records that arrive ordered by (chain, seq), e.g. straight from a sorted query.

    Streams: holds one record per chain, so it checks logs larger than memory. Raises
    ValueError if the input is not ordered (that is the reader's bug, not tampering).
    """
    reports: list[ChainReport] = []
    walk: _ChainWalk | None = None
    for record in records:
        if walk is None or record.chain != walk.chain:
            if walk is not None:
                if record.chain < walk.chain:
                    raise ValueError("records out of order: chains must ascend")
                reports.append(walk.report())
            walk = _ChainWalk(record.chain)
        walk.feed(record)
    if walk is not None:
        reports.append(walk.report())
    return VerifyResult(tuple(reports))


def verify(records: Iterable[AuditRecord]) -> VerifyResult:
    """Verify records in any order (e.g. a topic with replayed copies): sorts, then walks."""
    return verify_ordered(_sorted(records))


def _sorted(records: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
    # Stable: copies of one seq keep their input order, so the report is deterministic.
    return iter(sorted(records, key=lambda r: (r.chain, r.seq)))
