"""The audit agent's chain keeping, with an in-memory table whose writes are a changelog.

A crash can stop the table's changelog after any write; the redelivered events must then
recreate exactly the records of the first run. These tests try every such stopping point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.audit import AuditEvent
from domain.audit_chain import AuditRecord, Outcome, verify
from domain.audit_chain import Extension
from streams.audit_agent import ChainStore, chain_audit_event
from streams.audit_messages import (
    decode_audit_event,
    decode_audit_record,
    encode_audit_event,
    encode_audit_record,
)
from tests.domain.test_audit_chain import event


class ChangelogTable(dict[bytes, bytes]):
    """A dict that also keeps its writes in order, as a table's changelog topic would."""

    def __init__(self) -> None:
        super().__init__()
        self.changelog: list[tuple[bytes, bytes | None]] = []

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.changelog.append((key, value))
        super().__setitem__(key, value)

    def __delitem__(self, key: bytes) -> None:
        self.changelog.append((key, None))
        super().__delitem__(key)

    @classmethod
    def recovered(cls, changelog: list[tuple[bytes, bytes | None]]) -> ChangelogTable:
        table = cls()
        for key, value in changelog:
            if value is None:
                table.pop(key, None)
            else:
                dict.__setitem__(table, key, value)
        return table


@dataclass
class RecordingTopic:
    sent: list[tuple[bytes, bytes, int]] = field(default_factory=list)

    async def send(self, *, key: bytes, value: bytes, partition: int) -> None:
        self.sent.append((key, value, partition))

    def records(self) -> list[AuditRecord]:
        return [decode_audit_record(value) for _, value, _ in self.sent]


async def process_audit(
    partition: int, raw: bytes | None, store: ChainStore, topic: RecordingTopic
) -> Extension | None:
    """What the agent's handler emits for one event, recorded."""
    extension = chain_audit_event(partition, raw, store)
    if extension is not None and extension.record is not None:
        key = (extension.record.event.company_id or "-").encode()
        await topic.send(key=key, value=encode_audit_record(extension.record), partition=partition)
    return extension


async def feed(
    store: ChainStore, topic: RecordingTopic, items: list[tuple[int, AuditEvent]]
) -> None:
    for partition, e in items:
        await process_audit(partition, encode_audit_event(e), store, topic)


def test_audit_codecs_round_trip() -> None:
    e = event(1, details={"nested": {"list": [1, 2.5, None, True]}})
    assert decode_audit_event(encode_audit_event(e)) == e
    store = ChainStore({})
    record = store.append(0, e).record
    assert record is not None and decode_audit_record(encode_audit_record(record)) == record


async def test_each_partition_is_its_own_chain_and_records_stay_in_their_partition() -> None:
    store, topic = ChainStore({}), RecordingTopic()
    await feed(store, topic, [(0, event(1)), (2, event(2, company_id="")), (0, event(3))])
    records = topic.records()
    assert [(r.chain, r.seq) for r in records] == [(0, 1), (2, 1), (0, 2)]
    assert [(key, partition) for key, _, partition in topic.sent] == [
        (b"cmp_a", 0), (b"-", 2), (b"cmp_a", 0),
    ]  # fmt: skip
    assert records[2].prev_hash == records[0].hash
    assert verify(records).ok


async def test_the_same_event_twice_re_emits_the_identical_record_and_no_second_link() -> None:
    store, topic = ChainStore({}), RecordingTopic()
    await feed(store, topic, [(1, event(1)), (1, event(2)), (1, event(1))])
    first, second, again = topic.sent
    assert again == first  # byte-identical: same seq, same hash
    assert store.head(1).seq == 2
    await feed(store, topic, [(1, event(3))])
    assert topic.records()[-1].seq == 3
    assert verify(topic.records()).ok


async def test_same_event_id_with_other_content_is_not_chained() -> None:
    store, topic = ChainStore({}), RecordingTopic()
    await feed(store, topic, [(0, event(1))])
    result = await process_audit(0, encode_audit_event(event(1, ip="6.6.6.6")), store, topic)
    assert result is not None and result.outcome is Outcome.CONFLICT
    assert len(topic.sent) == 1 and store.head(0).seq == 1


async def test_undecodable_events_are_skipped() -> None:
    store, topic = ChainStore({}), RecordingTopic()
    assert await process_audit(0, b"not json", store, topic) is None
    assert await process_audit(0, None, store, topic) is None  # type: ignore[arg-type]
    assert topic.sent == [] and store.head(0).seq == 0


async def test_a_crash_after_any_table_write_replays_into_the_identical_records() -> None:
    items = [(n % 2, event(n)) for n in range(1, 9)]  # two chains
    items.insert(4, items[1])  # a producer-side duplicate in the input, too
    table, topic = ChangelogTable(), RecordingTopic()
    await feed(ChainStore(table, window=100), topic, items)
    original = {(r.chain, r.seq): r for r in topic.records()}
    assert len(original) == 8

    for durable in range(len(table.changelog) + 1):
        # The worker died: only `durable` changelog writes survived, nothing was committed,
        # so every event comes again (the worst case). Outputs from before may or may not exist.
        recovered = ChangelogTable.recovered(table.changelog[:durable])
        replay = RecordingTopic()
        store = ChainStore(recovered, window=100)
        await feed(store, replay, items)
        replayed = {(r.chain, r.seq): r for r in replay.records()}
        assert replayed == original, f"crash after changelog write {durable}"
        assert all(store.head(p).seq == 4 for p in (0, 1))
        assert verify(topic.records() + replay.records()).ok


async def test_links_are_forgotten_after_the_window_so_the_table_stays_bounded() -> None:
    table, topic = ChangelogTable(), RecordingTopic()
    store = ChainStore(table, window=3)
    await feed(store, topic, [(0, event(n)) for n in range(1, 11)])
    assert len(table) == 1 + 3 + 3  # head, 3 links, 3 slots
    await feed(store, topic, [(0, event(9))])  # still remembered: repeated, not re-linked
    assert topic.sent[-1] == topic.sent[8] and store.head(0).seq == 10


async def test_a_stale_link_past_the_head_is_not_trusted() -> None:
    # Interrupted write: the link and slot for seq 2 survived, the head did not.
    table, topic = ChangelogTable(), RecordingTopic()
    await feed(ChainStore(table), topic, [(0, event(1)), (0, event(2))])
    head_writes = [i for i, (key, _) in enumerate(table.changelog) if key == b"chain-0"]
    recovered = ChangelogTable.recovered(table.changelog[: head_writes[-1]])
    store = ChainStore(recovered)
    assert store.head(0).seq == 1
    replay = RecordingTopic()
    await feed(store, replay, [(0, event(2))])
    assert replay.sent == topic.sent[1:] and store.head(0).seq == 2
