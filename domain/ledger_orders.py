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
        order.product_id, day_of(order.created_at), HoldState.REJECTED, reason, fee=order.fee,
    )  # fmt: skip
    return OrderOutcome(book, hold, order.transition(OrderStatus.REJECTED, reason, at))


def reserve(
    book: Book, existing: Hold | None, end_user_day_total: int, order: Order, at: datetime
) -> OrderOutcome:
    """Reserve an approved order's amount plus its fee, or reject it with the reason a partner
    can act on.

    `end_user_day_total` is what this end user already used on the order's day.
    """
    if existing is not None or order.status is not OrderStatus.APPROVED:
        return OrderOutcome(book, None, None)  # a duplicate, or nothing for the ledger to do
    amount, fee, currency = order.amount.value, order.fee, order.amount.currency
    if fee < 0:  # the codec refuses these; never let one turn a reservation into a credit
        raise AssertionError(f"order {order.id} has a negative fee")
    total = amount + fee
    account = book.account(currency)
    if account is None:
        return _rejected(book, order, f"insufficient funds: no {currency} balance", at)
    if account.status is BalanceStatus.BLOCKED:
        return _rejected(book, order, f"balance blocked: the {currency} balance is blocked", at)
    day = day_of(order.created_at)
    usage = account.usage.rolled(day)
    limits = account.limits
    product_used = dict(usage.product_day).get(order.product_id, 0)
    # Limits cap what is paid out to end users, so they count the payout amount only; the fee
    # is what the partner pays us and is checked against the balance below, not the limits.
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
    if account.spendable < total:
        with_fee = f" and a {format_minor(fee, currency)} fee" if fee else ""
        return _rejected(
            book, order,
            f"insufficient funds: {format_minor(account.spendable, currency)} available "
            f"for a {format_minor(amount, currency)} payout{with_fee}",
            at,
        )  # fmt: skip
    account = replace(account, usage=usage.add(day, order.product_id, amount))
    book, account, entry = move(
        book, account, EntryKind.RESERVE, total, LedgerAccount.AVAILABLE, LedgerAccount.RESERVED,
        at, f"{order.id}:reserve", order_id=order.id,
    )  # fmt: skip
    book, account, low = low_balance_check(book, account, at)
    hold = Hold(
        order.id, order.company_id, currency, amount, order.end_user.id, order.product_id, day,
        HoldState.RESERVED, "reserved", fee=fee,
    )  # fmt: skip
    reserved = order.transition(OrderStatus.RESERVED, "funds reserved", at)
    return OrderOutcome(book, hold, reserved, (entry,), low, end_user_delta=amount)


def settle(
    book: Book, hold: Hold | None, order: Order, paid: bool, reason: str, at: datetime,
    delivery: str | None = None,
) -> OrderOutcome:  # fmt: skip
    """Capture a reservation the provider paid (the amount to payouts, the fee to fee revenue),
    or release one that failed (amount and fee back to available). Once only.

    `delivery` is what the provider delivered (a gift code, card details), already encrypted:
    the completed order carries it to its owner.
    """
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
        entries = (entry,)
        if hold.fee:
            book, account, fee_entry = move(
                book, account, EntryKind.FEE, hold.fee, LedgerAccount.RESERVED,
                LedgerAccount.FEES, at, f"{hold.order_id}:fee", order_id=hold.order_id,
            )  # fmt: skip
            entries = (entry, fee_entry)
        settled = replace(hold, state=HoldState.CAPTURED, reason=reason)
        completed = order.transition(OrderStatus.COMPLETED, reason, at)
        done = replace(completed, delivery=delivery or order.delivery)
        return OrderOutcome(book, settled, done, entries)
    account = replace(account, usage=account.usage.add(hold.day, hold.product_id, -hold.amount))
    book, account, entry = move(
        book, account, EntryKind.RELEASE, hold.total, LedgerAccount.RESERVED,
        LedgerAccount.AVAILABLE, at, f"{hold.order_id}:release", order_id=hold.order_id,
        reason=reason,
    )  # fmt: skip
    book, account, low = low_balance_check(book, account, at)
    released = replace(hold, state=HoldState.RELEASED, reason=reason)
    failed = order.transition(OrderStatus.FAILED, reason, at)
    return OrderOutcome(book, released, failed, (entry,), low, end_user_delta=-hold.amount)
