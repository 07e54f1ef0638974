"""Balance commands from staff (and partners' finance tools): top-ups, adjustments, settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import Conflict, DomainError, InvalidCommand
from domain.ledger import (
    Account,
    BalanceStatus,
    Book,
    Entry,
    EntryKind,
    LedgerAccount,
    Limits,
    LowBalance,
    low_balance_check,
    move,
)
from domain.money import format_minor, is_known_currency

MAX_AMOUNT = 10**15  # far above any real balance, far below int64 overflow when summed


class CommandKind(str, enum.Enum):
    TOP_UP = "top_up"
    ADJUST = "adjust"
    SET_CREDIT_LIMIT = "set_credit_limit"
    SET_LOW_BALANCE_THRESHOLD = "set_low_balance_threshold"
    SET_LIMITS = "set_limits"
    BLOCK = "block"
    UNBLOCK = "unblock"


@dataclass(frozen=True, slots=True)
class BalanceCommand:
    command_id: str  # unique per company: a top-up's Idempotency-Key, else the request id
    company_id: str
    kind: CommandKind
    currency: str
    actor: str
    at: datetime
    amount: int = 0
    reason: str = ""
    reference: str = ""
    credit_limit: int = 0
    low_balance_threshold: int | None = None
    limits: Limits | None = None


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    book: Book
    entries: tuple[Entry, ...] = ()
    low_balance: LowBalance | None = None
    error: DomainError | None = None


def _check(command: BalanceCommand) -> None:
    if not is_known_currency(command.currency):
        raise InvalidCommand(f"unknown currency {command.currency!r}")
    if command.kind is CommandKind.TOP_UP and not 0 < command.amount <= MAX_AMOUNT:
        raise InvalidCommand("a top-up amount must be a positive number of minor units")
    if command.kind is CommandKind.ADJUST:
        if not command.amount or abs(command.amount) > MAX_AMOUNT:
            raise InvalidCommand("an adjustment amount must be non-zero minor units")
        if not command.reason.strip():
            raise InvalidCommand("an adjustment needs a reason")
    if command.kind is CommandKind.SET_CREDIT_LIMIT and not 0 <= command.credit_limit <= MAX_AMOUNT:
        raise InvalidCommand("a credit limit must be zero or positive minor units")
    threshold = command.low_balance_threshold
    if command.kind is CommandKind.SET_LOW_BALANCE_THRESHOLD and threshold is not None and not (
        0 <= threshold <= MAX_AMOUNT
    ):
        raise InvalidCommand("a low-balance threshold must be zero or positive minor units")
    if command.kind in (CommandKind.BLOCK, CommandKind.ADJUST) and not command.reason.strip():
        raise InvalidCommand(f"{command.kind.value} needs a reason")


def apply_command(book: Book, command: BalanceCommand) -> CommandOutcome:
    try:
        _check(command)
        return _apply(book, command)
    except DomainError as error:
        return CommandOutcome(book, error=error)


def _apply(book: Book, c: BalanceCommand) -> CommandOutcome:
    account = book.account(c.currency) or Account(c.currency)
    refs = {"command_id": c.command_id, "actor": c.actor}
    entry_id = f"{c.company_id}:{c.command_id}"
    if c.kind is CommandKind.TOP_UP:
        book, account, entry = move(
            book, account, EntryKind.TOP_UP, c.amount, LedgerAccount.FUNDING,
            LedgerAccount.AVAILABLE, c.at, entry_id, reason=c.reference, **refs,
        )  # fmt: skip
        book, account, low = low_balance_check(book, account, c.at)
        return CommandOutcome(book, (entry,), low)
    if c.kind is CommandKind.ADJUST:
        if c.amount < 0 and account.spendable + c.amount < 0:
            raise Conflict(
                f"the adjustment would take the balance below its credit limit "
                f"({format_minor(account.spendable, c.currency)} spendable)"
            )
        source, target = (
            (LedgerAccount.ADJUSTMENTS, LedgerAccount.AVAILABLE)
            if c.amount > 0
            else (LedgerAccount.AVAILABLE, LedgerAccount.ADJUSTMENTS)
        )
        book, account, entry = move(
            book, account, EntryKind.ADJUSTMENT, abs(c.amount), source, target, c.at, entry_id,
            reason=c.reason, **refs,
        )  # fmt: skip
        book, account, low = low_balance_check(book, account, c.at)
        return CommandOutcome(book, (entry,), low)
    if c.kind is CommandKind.SET_CREDIT_LIMIT:
        if account.available + c.credit_limit < 0:
            raise Conflict(
                f"the balance owes {format_minor(-account.available, c.currency)}: "
                "the credit limit cannot be lower than that"
            )
        return CommandOutcome(book.with_account(replace(account, credit_limit=c.credit_limit)))
    if c.kind is CommandKind.SET_LOW_BALANCE_THRESHOLD:
        changed = replace(account, low_balance_threshold=c.low_balance_threshold, low_notified=False)
        book, changed, low = low_balance_check(book.with_account(changed), changed, c.at)
        return CommandOutcome(book, (), low)
    if c.kind is CommandKind.SET_LIMITS:
        return CommandOutcome(book.with_account(replace(account, limits=c.limits or Limits())))
    status = BalanceStatus.BLOCKED if c.kind is CommandKind.BLOCK else BalanceStatus.ACTIVE
    return CommandOutcome(book.with_account(replace(account, status=status)))
