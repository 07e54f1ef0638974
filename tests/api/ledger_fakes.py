"""An in-memory ledger for API tests: the real command rules, no Kafka."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.ledger import Book
from domain.ledger_commands import apply_command
from streams.ledger_messages import CommandEnvelope, book_to_dict


@dataclass
class InMemoryLedger:
    books: dict[str, Book] = field(default_factory=dict)
    applied: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    received: list[CommandEnvelope] = field(default_factory=list)

    def book(self, company_id: str) -> Book | None:
        return self.books.get(company_id)

    def remember(self, book: Book) -> None:
        self.books[book.company_id] = book

    async def submit(self, envelope: CommandEnvelope) -> dict[str, Any]:
        self.received.append(envelope)
        c = envelope.command
        key = (c.company_id, c.command_id)
        if key in self.applied:  # a retry with the same key: the first answer
            return self.applied[key]
        outcome = apply_command(self.books.get(c.company_id, Book(c.company_id)), c)
        if outcome.error is not None:
            raise outcome.error
        self.books[c.company_id] = outcome.book
        self.applied[key] = {"book": book_to_dict(outcome.book)}
        return self.applied[key]
