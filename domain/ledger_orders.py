"""What the ledger does with orders: reserve on approval, capture or release on settlement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.ledger import (
    BalanceStatus,
    Book,
    Entry,
    EntryKind,
    Hold,
    HoldState,
    LedgerAccount,
    LowBalance,
    day_of,
    low_balance_check,
    move,
)
from domain.money import format_minor
from domain.orders import Order, OrderStatus


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    book: Book
    hold: Hold | None  # None: nothing changed (a duplicate)
    order: Order | None  # the order after its new transition; None for a duplicate
    entries: tuple[Entry, ...] = ()
    low_balance: LowBalance | None = None
    end_user_delta: int = 0  # to add to the end user's usage on hold.day


def _rejected(book: Book, order: Order, reason: str, at: datetime) -> OrderOutcome:
    hold = Hold(
        order.id, order.company_id, order.amount.currency, order.amount.value, order.end_user.id,
        order.product_id, day_of(order.created_at), HoldState.REJECTED, reason,
    )  # fmt: skip
    return OrderOutcome(book, hold, order.transition(OrderStatus.REJECTED, reason, at))


def reserve(
    book: Book, existing: Hold | None, end_user_day_total: int, order: Order, at: datetime
) -> OrderOutcome:
    """Reserve an approved order's amount, or reject it with the reason a partner can act on.

    `end_user_day_total` is what this end user already used on the order's day.
    """
    if existing is not None or order.status is not OrderStatus.APPROVED:
        return OrderOutcome(book, None, None)  # a duplicate, or nothing for the ledger to do
    amount, currency = order.amount.value, order.amount.currency
    account = book.account(currency)
    if account is None:
        return _rejected(book, order, f"insufficient funds: no {currency} balance", at)
    if account.status is BalanceStatus.BLOCKED:
        return _rejected(book, order, f"balance blocked: the {currency} balance is blocked", at)
    day = day_of(order.created_at)
    usage = account.usage.rolled(day)
    limits = account.limits
    product_used = dict(usage.product_day).get(order.product_id, 0)
    checks = (
        (limits.per_order, amount, "per-order"),
        (limits.per_day, usage.day_total + amount, "daily"),
        (limits.per_month, usage.month_total + amount, "monthly"),
        (limits.product_cap(order.product_id), product_used + amount, "daily product"),
        (limits.per_end_user_day, end_user_day_total + amount, "daily end-user"),
    )
    for cap, would_be, name in checks:
        if cap is not None and would_be > cap:
            return _rejected(
                book, order, f"limit exceeded: {name} limit is {format_minor(cap, currency)}", at
            )
    if account.spendable < amount:
        return _rejected(
            book, order,
            f"insufficient funds: {format_minor(account.spendable, currency)} available "
            f"for a {format_minor(amount, currency)} payout",
            at,
        )  # fmt: skip
    account = replace(account, usage=usage.add(day, order.product_id, amount))
    book, account, entry = move(
        book, account, EntryKind.RESERVE, amount, LedgerAccount.AVAILABLE, LedgerAccount.RESERVED,
        at, f"{order.id}:reserve", order_id=order.id,
    )  # fmt: skip
    book, account, low = low_balance_check(book, account, at)
    hold = Hold(
        order.id, order.company_id, currency, amount, order.end_user.id, order.product_id, day,
        HoldState.RESERVED, "reserved",
    )  # fmt: skip
    reserved = order.transition(OrderStatus.RESERVED, "funds reserved", at)
    return OrderOutcome(book, hold, reserved, (entry,), low, end_user_delta=amount)


def settle(book: Book, hold: Hold | None, order: Order, paid: bool, reason: str, at: datetime) -> OrderOutcome:
    """Capture a reservation the provider paid, or release one that failed. Once only."""
    if hold is None or hold.state is not HoldState.RESERVED:
        return OrderOutcome(book, None, None)  # unknown, rejected, or already settled
    account = book.account(hold.currency)
    if account is None:  # cannot happen for a reserved hold; refuse rather than guess
        raise AssertionError(f"reserved order {hold.order_id} has no {hold.currency} account")
    if paid:
        book, account, entry = move(
            book, account, EntryKind.CAPTURE, hold.amount, LedgerAccount.RESERVED,
            LedgerAccount.PAYOUTS, at, f"{hold.order_id}:capture", order_id=hold.order_id,
        )  # fmt: skip
        settled = replace(hold, state=HoldState.CAPTURED, reason=reason)
        done = order.transition(OrderStatus.COMPLETED, reason, at)
        return OrderOutcome(book, settled, done, (entry,))
    account = replace(account, usage=account.usage.add(hold.day, hold.product_id, -hold.amount))
    book, account, entry = move(
        book, account, EntryKind.RELEASE, hold.amount, LedgerAccount.RESERVED,
        LedgerAccount.AVAILABLE, at, f"{hold.order_id}:release", order_id=hold.order_id,
        reason=reason,
    )  # fmt: skip
    book, account, low = low_balance_check(book, account, at)
    released = replace(hold, state=HoldState.RELEASED, reason=reason)
    failed = order.transition(OrderStatus.FAILED, reason, at)
    return OrderOutcome(book, released, failed, (entry,), low, end_user_delta=-hold.amount)
