"""Reads the ledger's books from the log for `quadra ledger verify` and the crash tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.ledger import Book, Entry
from domain.ledger_verify import LedgerReport, verify_ledger
from domain.orders import OrderStatus
from streams import ledger_messages as lm
from streams import messages
from streams.topic_reader import read_whole
from streams.topics import BALANCES, LEDGER_ENTRIES, ORDERS_EVENTS, TopicNames


@dataclass
class LedgerSnapshot:
    entries: list[Entry] = field(default_factory=list)
    books: dict[str, Book] = field(default_factory=dict)
    terminal: dict[str, set[OrderStatus]] = field(default_factory=dict)
    statuses: dict[str, OrderStatus] = field(default_factory=dict)  # latest status per order

    def verify(self) -> LedgerReport:
        return verify_ledger(self.entries, self.books, self.terminal)


async def read_ledger(bootstrap: str, names: TopicNames) -> LedgerSnapshot:
    topics = [names(LEDGER_ENTRIES), names(BALANCES), names(ORDERS_EVENTS)]
    records = await read_whole(bootstrap, topics)
    snapshot = LedgerSnapshot()
    snapshot.entries = [lm.decode_entry(r.value) for r in records[topics[0]]]
    for r in records[topics[1]]:
        book = lm.decode_book(r.value)
        snapshot.books[book.company_id] = book  # compacted: the last one per key is current
    versions: dict[str, int] = {}
    for r in records[topics[2]]:
        event = messages.decode_order_event(r.value)
        order = event.order
        if order.status.is_terminal:
            snapshot.terminal.setdefault(order.id, set()).add(order.status)
        if event.sequence >= versions.get(order.id, 0):
            versions[order.id] = event.sequence
            snapshot.statuses[order.id] = order.status
    return snapshot
