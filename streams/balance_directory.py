"""Every company's latest balance sheet, tailed from the compacted `balances` topic."""

from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord

from domain.ledger import Book
from streams.feeds import TopicTail
from streams.ledger_messages import decode_book


class BalanceDirectory:
    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self._books: dict[str, Book] = {}
        self._tail = TopicTail(bootstrap, {topic: partitions}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        book = decode_book(record.value)
        self._books[book.company_id] = book

    def book(self, company_id: str) -> Book | None:
        return self._books.get(company_id)

    def remember(self, book: Book) -> None:
        """A fresher book from a command reply; the tail delivers the same one soon after."""
        self._books[book.company_id] = book

    async def start(self, timeout: float = 60.0) -> None:
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def stop(self) -> None:
        await self._tail.stop()
