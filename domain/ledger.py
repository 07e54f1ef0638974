"""The ledger: balances per company and currency, changed only by double-entry entries.

Money moves between named accounts of a company's currency. Every change is one entry that
takes `amount` from one account and gives it to another, so the entries always sum to zero:

    top-up      funding     → available
    reserve     available   → reserved        (an approved order: its amount plus its fee)
    capture     reserved    → payouts         (the provider paid it: the amount)
    fee         reserved    → fees            (the provider paid it: our fee, earned only then)
    release     reserved    → available       (the payout failed: amount and fee back)
    adjustment  adjustments ↔ available       (staff, with a reason)

Pure functions: given the state and one input they return the new state and what to emit.
The invariant `available + credit_limit >= 0` holds after every function here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime


class LedgerAccount(str, enum.Enum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    PAYOUTS = "payouts"
    FUNDING = "funding"
    ADJUSTMENTS = "adjustments"
    FEES = "fees"  # fee revenue: what partners paid us for completed payouts


class EntryKind(str, enum.Enum):
    TOP_UP = "top_up"
    RESERVE = "reserve"
    CAPTURE = "capture"
    RELEASE = "release"
    ADJUSTMENT = "adjustment"
    FEE = "fee"


class BalanceStatus(str, enum.Enum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class HoldState(str, enum.Enum):
    RESERVED = "reserved"
    CAPTURED = "captured"
    RELEASED = "released"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps in minor units; None means no cap. Day and month are UTC calendar periods."""

    per_order: int | None = None
    per_day: int | None = None
    per_month: int | None = None
    per_end_user_day: int | None = None
    per_product_day: tuple[tuple[str, int], ...] = ()

    def product_cap(self, product_id: str) -> int | None:
        return dict(self.per_product_day).get(product_id)


@dataclass(frozen=True, slots=True)
class Usage:
    """What reservations (net of releases) used in the current day and month."""

    day: str = ""
    day_total: int = 0
    month: str = ""
    month_total: int = 0
    product_day: tuple[tuple[str, int], ...] = ()

    def rolled(self, day: str) -> Usage:
        """Usage as seen from `day`: older periods count as zero."""
        month = day[:7]
        return Usage(
            day=day,
            day_total=self.day_total if self.day == day else 0,
            month=month,
            month_total=self.month_total if self.month == month else 0,
            product_day=self.product_day if self.day == day else (),
        )

    def add(self, day: str, product_id: str, amount: int) -> Usage:
        """Add (or, with a negative amount, give back) usage that happened on `day`."""
        products = dict(self.product_day)
        same_day = self.day == day
        if same_day:
            products[product_id] = products.get(product_id, 0) + amount
        return replace(
            self,
            day_total=self.day_total + amount if same_day else self.day_total,
            month_total=self.month_total + amount if self.month == day[:7] else self.month_total,
            product_day=tuple(sorted((p, v) for p, v in products.items() if v)),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """One company's balance in one currency."""

    currency: str
    available: int = 0
    reserved: int = 0
    credit_limit: int = 0
    low_balance_threshold: int | None = None
    low_notified: bool = False
    status: BalanceStatus = BalanceStatus.ACTIVE
    limits: Limits = field(default_factory=Limits)
    usage: Usage = field(default_factory=Usage)
    # The time of this account's latest entry. Entries are stamped with their input's time, and
    # the ledger's inputs (orders, payout results, commands) interleave; stamping no earlier than
    # the previous entry keeps an account's entries in time order, so a statement's balance at
    # any instant is the balance after the last entry before it.
    last_entry_at: datetime | None = None

    @property
    def spendable(self) -> int:
        return self.available + self.credit_limit


@dataclass(frozen=True, slots=True)
class Book:
    """All accounts of one company: the unit the ledger agent changes atomically."""

    company_id: str
    accounts: tuple[Account, ...] = ()

    def account(self, currency: str) -> Account | None:
        return next((a for a in self.accounts if a.currency == currency), None)

    def with_account(self, account: Account) -> Book:
        others = [a for a in self.accounts if a.currency != account.currency]
        return replace(self, accounts=tuple(sorted([*others, account], key=lambda a: a.currency)))


@dataclass(frozen=True, slots=True)
class Hold:
    """What the ledger did with one order; kept so duplicates change nothing."""

    order_id: str
    company_id: str
    currency: str
    amount: int
    end_user_id: str
    product_id: str
    day: str
    state: HoldState
    reason: str
    fee: int = 0  # reserved on top of `amount`; holds recorded before fees decode as 0

    @property
    def total(self) -> int:
        """What the reservation took from available: the payout amount plus the fee."""
        return self.amount + self.fee


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str  # deterministic: the order or command it belongs to, and its kind
    company_id: str
    currency: str
    kind: EntryKind
    amount: int  # > 0, moved from `source` to `target`
    source: LedgerAccount
    target: LedgerAccount
    at: datetime
    order_id: str = ""
    command_id: str = ""
    reason: str = ""
    actor: str = ""
    available_after: int = 0
    reserved_after: int = 0


@dataclass(frozen=True, slots=True)
class LowBalance:
    """`balance.low`: once per crossing below the threshold."""

    company_id: str
    currency: str
    available: int
    threshold: int
    at: datetime


def day_of(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def move(
    book: Book,
    account: Account,
    kind: EntryKind,
    amount: int,
    source: LedgerAccount,
    target: LedgerAccount,
    at: datetime,
    entry_id: str,
    **refs: str,
) -> tuple[Book, Account, Entry]:
    """Apply one entry to the account's available/reserved figures and return all three."""
    if account.last_entry_at is not None and at < account.last_entry_at:
        at = account.last_entry_at
    delta = {LedgerAccount.AVAILABLE: 0, LedgerAccount.RESERVED: 0}
    if source in delta:
        delta[source] -= amount
    if target in delta:
        delta[target] += amount
    changed = replace(
        account,
        available=account.available + delta[LedgerAccount.AVAILABLE],
        reserved=account.reserved + delta[LedgerAccount.RESERVED],
        last_entry_at=at,
    )
    if changed.spendable < 0 or changed.reserved < 0:
        raise AssertionError(f"ledger invariant broken by {entry_id}")  # guarded by callers
    entry = Entry(
        entry_id, book.company_id, account.currency, kind, amount, source, target, at,
        available_after=changed.available, reserved_after=changed.reserved, **refs,
    )  # fmt: skip
    return book.with_account(changed), changed, entry


def low_balance_check(
    book: Book, account: Account, at: datetime
) -> tuple[Book, Account, LowBalance | None]:
    """Flag a crossing below the threshold once; clear the flag when back above it."""
    threshold = account.low_balance_threshold
    if threshold is None:
        return book, account, None
    below = account.available < threshold
    if below and not account.low_notified:
        flagged = replace(account, low_notified=True)
        event = LowBalance(book.company_id, account.currency, account.available, threshold, at)
        return book.with_account(flagged), flagged, event
    if not below and account.low_notified:
        cleared = replace(account, low_notified=False)
        return book.with_account(cleared), cleared, None
    return book, account, None
