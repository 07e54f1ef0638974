"""Hash chains: canonical form, linking, exactly-once extension, and tamper detection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.audit import ActorKind, AuditEvent
from domain.audit_chain import (
    GENESIS_HASH,
    AuditRecord,
    ChainHead,
    Link,
    Outcome,
    Problem,
    canonical_event,
    chain,
    extend,
    verify,
    verify_ordered,
)

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def event(n: int, **changes: object) -> AuditEvent:
    base = AuditEvent(
        event_id=f"req-{n}:company.update",
        at=T0 + timedelta(seconds=n),
        actor_kind=ActorKind.STAFF,
        actor_id="usr_1",
        company_id="cmp_a",
        action="company.update",
        target="cmp_a",
        request_id=f"req-{n}",
        ip="10.0.0.1",
        details={"field": "name", "to": f"Acme {n}"},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def build(n: int, chain_id: int = 0) -> list[AuditRecord]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        record = chain(prev, seq, event(seq + 100 * chain_id), chain_id=chain_id)
        records.append(record)
        prev = record.hash
    return records


# --- canonical form ---------------------------------------------------------------------------


def test_canonical_form_is_stable_across_key_order_and_time_zones() -> None:
    a = event(1, details={"b": 1, "a": {"y": 2, "x": [1, "ü"]}})
    b = event(
        1,
        details={"a": {"x": [1, "ü"], "y": 2}, "b": 1},
        at=T0.astimezone(timezone(timedelta(hours=3))) + timedelta(seconds=1),
    )
    assert canonical_event(a) == canonical_event(b)
    assert b'"at":"2025-03-01T12:00:01.123456Z"' in canonical_event(a)
    assert canonical_event(a).startswith(b'{"action":')  # keys sorted


@pytest.mark.parametrize(
    "bad",
    [
        {"at": datetime(2025, 1, 1)},  # naive: which instant?
        {"details": {"when": T0}},  # not plain JSON
        {"details": {"x": float("nan")}},
        {"details": {1: "int key"}},
    ],
)
def test_what_cannot_be_hashed_stably_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        canonical_event(event(1, **bad))


def test_chain_links_records_and_hashes_depend_on_every_input() -> None:
    first = chain(GENESIS_HASH, 1, event(1), chain_id=2)
    second = chain(first.hash, 2, event(2), chain_id=2)
    assert (first.chain, first.seq, first.prev_hash) == (2, 1, "0" * 64)
    assert second.prev_hash == first.hash and len(second.hash) == 64
    assert chain(GENESIS_HASH, 1, event(1), chain_id=2) == first  # deterministic
    assert chain(GENESIS_HASH, 2, event(1), chain_id=2).hash != first.hash
    assert chain(second.hash, 1, event(1), chain_id=2).hash != first.hash
    with pytest.raises(ValueError):
        chain("abc", 1, event(1), chain_id=0)
    with pytest.raises(ValueError):
        chain(GENESIS_HASH, 0, event(1), chain_id=0)


# --- extend: exactly one link per event --------------------------------------------------------


def test_extend_appends_after_the_head() -> None:
    ext = extend(0, ChainHead(), None, event(1))
    assert ext.outcome is Outcome.APPENDED and ext.record is not None
    assert ext.head == ChainHead(1, ext.record.hash)
    nxt = extend(0, ext.head, None, event(2))
    assert nxt.record is not None and nxt.record.prev_hash == ext.record.hash


def test_a_known_event_is_re_emitted_identically_and_never_linked_twice() -> None:
    first = extend(0, ChainHead(), None, event(1))
    head = extend(0, first.head, None, event(2)).head
    assert first.record is not None
    link = Link(first.record.seq, first.record.prev_hash, first.record.hash)

    again = extend(0, head, link, event(1))
    assert again.outcome is Outcome.REPEATED and again.head == head
    assert again.record == first.record

    other_content = extend(0, head, link, event(1, target="cmp_b"))
    assert other_content.outcome is Outcome.CONFLICT and other_content.record is None
    assert other_content.head == head


# --- verify ------------------------------------------------------------------------------------


def test_intact_chains_verify_with_counts_per_chain() -> None:
    records = build(5, chain_id=0) + build(3, chain_id=2)
    result = verify(records)
    assert result.ok and result.broken is None and result.records == 8
    assert [(c.chain, c.records, c.head_seq) for c in result.chains] == [(0, 5, 5), (2, 3, 3)]
    assert result.chains[0].head_hash == records[4].hash
    assert verify([]).ok


def test_order_of_input_and_identical_replayed_copies_do_not_matter() -> None:
    records = build(5) + build(4, chain_id=1)
    shuffled = records[::-1] + records[2:4]  # topic order differs; replays repeat records
    result = verify(shuffled)
    assert result.ok and result.records == 9


def _retamper(i: int, **event_changes: object) -> Callable[[list[AuditRecord]], None]:
    def tamper(records: list[AuditRecord]) -> None:
        changed = replace(records[i].event, **event_changes)  # type: ignore[arg-type]
        records[i] = replace(records[i], event=changed)

    return tamper


def _record_field(i: int, **changes: object) -> Callable[[list[AuditRecord]], None]:
    def tamper(records: list[AuditRecord]) -> None:
        records[i] = replace(records[i], **changes)  # type: ignore[arg-type]

    return tamper


def _delete(i: int) -> Callable[[list[AuditRecord]], None]:
    return lambda records: records.pop(i) and None


def _swap_positions(i: int, j: int) -> Callable[[list[AuditRecord]], None]:
    """Move record i's content to seq j and back: the order of history is changed."""

    def tamper(records: list[AuditRecord]) -> None:
        a, b = records[i], records[j]
        records[i], records[j] = replace(b, seq=a.seq), replace(a, seq=b.seq)

    return tamper


def _insert_renumbering(i: int) -> Callable[[list[AuditRecord]], None]:
    """A forger inserts a well-formed record after seq i and renumbers the rest."""

    def tamper(records: list[AuditRecord]) -> None:
        forged = chain(records[i - 1].hash, i + 1, event(99), chain_id=0)
        rest = [replace(r, seq=r.seq + 1) for r in records[i:]]
        records[i:] = [forged, *rest]

    return tamper


def _insert_at_taken_seq(seq: int) -> Callable[[list[AuditRecord]], None]:
    def tamper(records: list[AuditRecord]) -> None:
        records.append(chain(records[seq - 2].hash, seq, event(99), chain_id=0))

    return tamper


HASH, PREV = Problem.HASH_MISMATCH, Problem.PREV_HASH_MISMATCH
GAP, DUP = Problem.SEQ_GAP, Problem.DUPLICATE_SEQ
TAMPERING = [
    # (what was done, tamper, broken seq, problem)
    ("event_id changed", _retamper(2, event_id="other"), 3, HASH),
    ("time changed", _retamper(2, at=T0), 3, HASH),
    ("time moved by 1 µs", _retamper(2, at=event(3).at + timedelta(microseconds=1)), 3, HASH),
    ("actor kind changed", _retamper(2, actor_kind=ActorKind.SYSTEM), 3, HASH),
    ("actor changed", _retamper(2, actor_id="usr_2"), 3, HASH),
    ("company changed", _retamper(2, company_id="cmp_b"), 3, HASH),
    ("action changed", _retamper(2, action="company.delete"), 3, HASH),
    ("target changed", _retamper(2, target="cmp_x"), 3, HASH),
    ("request id changed", _retamper(2, request_id="req-x"), 3, HASH),
    ("ip changed", _retamper(2, ip="10.9.9.9"), 3, HASH),
    ("details changed", _retamper(2, details={"to": "Evil"}), 3, HASH),
    ("details emptied", _retamper(2, details={}), 3, HASH),
    ("stored hash changed", _record_field(2, hash="f" * 64), 3, HASH),
    ("prev_hash changed", _record_field(2, prev_hash="e" * 64), 3, PREV),
    ("genesis prev_hash changed", _record_field(0, prev_hash="1" * 64), 1, PREV),
    ("seq renumbered", _record_field(2, seq=7), 3, GAP),
    ("first record deleted", _delete(0), 1, GAP),
    ("middle record deleted", _delete(2), 3, GAP),
    ("two records swapped", _swap_positions(1, 3), 2, PREV),
    ("record inserted, rest renumbered", _insert_renumbering(2), 4, PREV),
    ("forged record at a taken seq", _insert_at_taken_seq(3), 3, DUP),
]


@pytest.mark.parametrize(
    ("tamper", "seq", "problem"),
    [case[1:] for case in TAMPERING],
    ids=[case[0] for case in TAMPERING],
)
def test_tampering_is_reported_at_the_first_broken_link(
    tamper: Callable[[list[AuditRecord]], None], seq: int, problem: Problem
) -> None:
    other_chain = build(4, chain_id=1)
    records = build(6)
    tamper(records)
    result = verify(records + other_chain)
    assert not result.ok
    broken = result.broken
    assert broken is not None
    assert (broken.chain, broken.seq, broken.problem) == (0, seq, problem), broken.describe()
    assert result.chains[1].broken is None and result.chains[1].records == 4


def test_the_first_break_of_every_chain_is_reported_lowest_chain_first() -> None:
    a, b = build(4, chain_id=3), build(4, chain_id=1)
    a[3] = replace(a[3], hash="0" * 64)
    b[1] = replace(b[1], event=replace(b[1].event, ip="1.1.1.1"))
    b[2] = replace(b[2], event=replace(b[2].event, ip="1.1.1.1"))  # a later break: not the first
    result = verify(a + b)
    firsts = [(c.chain, c.broken.seq if c.broken else None) for c in result.chains]
    assert firsts == [(1, 2), (3, 4)]
    assert result.broken is not None and (result.broken.chain, result.broken.seq) == (1, 2)
    assert result.chains[0].head_seq == 1 and result.chains[0].records == 4
    assert "chain 1, seq 2: hash_mismatch" in result.broken.describe()


def test_verify_ordered_streams_and_refuses_unordered_input() -> None:
    records = build(3) + build(2, chain_id=1)
    assert verify_ordered(iter(records)).ok
    with pytest.raises(ValueError):
        verify_ordered(records[::-1])
