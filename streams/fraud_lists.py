"""Block and allow lists on Kafka: the compacted, single-partition `fraud.lists` topic, keyed by
the entry's identity (kind, scope, value), read whole by every worker and API node.

Writers: staff (add, remove with a tombstone), the intake's review desk (blocks on a confirmed
fraud, in its transaction) and the cross-company detectors. A worker's intake reads the
replica when it assesses a batch, so a block is in force from the batch after the record
arrives (milliseconds), not in the same transaction; the review desk's own blocks are written
in the transaction that declines the order.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from aiokafka import ConsumerRecord

from detectors.lists import ListEntry, ListEntryError, ListIndex, ListKind, ListVerdict
from domain.fraud import ReviewCommand
from domain.orders import Order, RecipientKind
from streams.feeds import SingleTopicReplica
from streams.healing_producer import RecordWriter

log = logging.getLogger(__name__)

# Blocks placed by an analyst's decline last this long unless staff change them.
REVIEW_BLOCK_DAYS = 365


def encode_list_entry(entry: ListEntry) -> bytes:
    return json.dumps(entry.to_dict(), separators=(",", ":")).encode()


def block_entries(order: Order, command: ReviewCommand) -> list[ListEntry]:
    """A confirmed fraud blocks the end user (in its company: ids are the company's own) and the
    recipient everywhere (a mule card or phone is one, whoever pays it)."""
    reason = f"confirmed fraud on order {order.id} by {command.analyst}"
    expires = command.at + timedelta(days=REVIEW_BLOCK_DAYS)

    def block(kind: ListKind, value: str, scope: str | None) -> ListEntry:
        return ListEntry.create(kind, value, ListVerdict.BLOCK, scope, reason, command.analyst, command.at, expires)

    entries = [block(ListKind.END_USER, order.end_user.id, order.company_id)]
    r = order.recipient
    if r.kind is RecipientKind.CARD and r.card_token:
        entries.append(block(ListKind.CARD_TOKEN, r.card_token, None))
    elif r.kind is RecipientKind.PHONE and r.phone:
        entries.append(block(ListKind.PHONE, r.phone, None))
    return entries


class ListDirectory(SingleTopicReplica):
    """The lists as this process sees them: a replica of `fraud.lists`."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.index = ListIndex()
        super().__init__(bootstrap, topic)

    def _on_record(self, record: ConsumerRecord) -> None:
        key = record.key.decode() if record.key else ""
        try:
            self.index.apply(key, None if record.value is None else json.loads(record.value))
        except (ListEntryError, ValueError, UnicodeDecodeError) as exc:
            log.error("ignoring a bad list record at offset %s: %s", record.offset, exc)



class KafkaListStore:
    """Staff and detectors write entries here: durable when `put`/`remove` return."""

    def __init__(self, producer: RecordWriter, topic: str) -> None:
        self._producer = producer  # idempotent, acks=all
        self._topic = topic

    async def put(self, entry: ListEntry) -> None:
        await self._producer.send_and_wait(self._topic, encode_list_entry(entry), key=entry.key.encode(),
                                           partition=0)  # fmt: skip

    async def remove(self, key: str) -> None:
        await self._producer.send_and_wait(self._topic, None, key=key.encode(), partition=0)
