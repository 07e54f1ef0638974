"""Balance use cases: read a company's balances; send balance commands to the ledger."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from domain.audit import AuditTrail
from domain.ledger import Account, Book
from domain.ledger_commands import BalanceCommand
from domain.staff import StaffActor
from streams.ledger_messages import CommandEnvelope, book_from_dict


class BalanceReader(Protocol):
    def book(self, company_id: str) -> Book | None: ...

    def remember(self, book: Book) -> None: ...


class LedgerPort(Protocol):
    async def submit(self, envelope: CommandEnvelope) -> dict[str, Any]:
        """The ledger's reply payload; raises a DomainError when refused or unanswered."""


class BalanceService:
    def __init__(self, reader: BalanceReader, ledger: LedgerPort, audit: AuditTrail) -> None:
        self._reader = reader
        self._ledger = ledger
        self._audit = audit

    def accounts(self, company_id: str) -> tuple[Account, ...]:
        book = self._reader.book(company_id)
        return book.accounts if book is not None else ()

    async def apply(self, actor: StaffActor, command: BalanceCommand, details: dict[str, object]) -> Account:
        """Apply one staff command; returns the account as the ledger left it."""
        command = replace(command, actor=actor.user.id, at=actor.at)
        payload = await self._ledger.submit(CommandEnvelope(actor.request_id, command))
        book = book_from_dict(payload["book"])
        self._reader.remember(book)
        await self._audit.record(actor.audit(
            f"balance.{command.kind.value}", f"{command.company_id}/{command.currency}",
            command.company_id, {"command_id": command.command_id, **details},
        ))  # fmt: skip
        account = book.account(command.currency)
        assert account is not None  # the command created or changed it
        return account
