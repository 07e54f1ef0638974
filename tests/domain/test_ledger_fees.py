"""Fees: reserved with the amount, earned on capture, given back on release."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.ledger import Book, EntryKind, HoldState, LedgerAccount
from domain.ledger_commands import CommandKind, apply_command
from domain.ledger_orders import reserve, settle
from domain.ledger_verify import verify_ledger
from domain.orders import OrderStatus
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, book_with, command, limits


def _figures(book: Book) -> tuple[int, int]:
    account = book.account("EUR")
    assert account is not None
    return account.available, account.reserved


def test_reserve_takes_amount_plus_fee_and_the_hold_remembers_the_fee() -> None:
    out = reserve(book_with(available=10_000), None, 0, approved_order(amount=1500, fee=40), T0)
    assert _figures(out.book) == (8_460, 1_540)
    [entry] = out.entries
    assert (entry.kind, entry.amount) == (EntryKind.RESERVE, 1540)
    assert out.hold is not None and (out.hold.amount, out.hold.fee, out.hold.total) == (1500, 40, 1540)
    assert out.end_user_delta == 1500  # limits count the payout, not the fee


def test_capture_pays_the_amount_out_and_books_the_fee_as_revenue() -> None:
    out = reserve(book_with(available=10_000), None, 0, approved_order(amount=1500, fee=40), T0)
    assert out.hold is not None and out.order is not None
    paid = settle(out.book, out.hold, out.order, True, "paid", T0, delivery="k1.sealed")
    assert _figures(paid.book) == (8_460, 0)
    capture, fee = paid.entries
    assert (capture.kind, capture.amount, capture.source, capture.target) == (
        EntryKind.CAPTURE, 1500, LedgerAccount.RESERVED, LedgerAccount.PAYOUTS,
    )  # fmt: skip
    assert (fee.kind, fee.amount, fee.source, fee.target, fee.entry_id) == (
        EntryKind.FEE, 40, LedgerAccount.RESERVED, LedgerAccount.FEES, f"{out.hold.order_id}:fee",
    )  # fmt: skip
    assert (fee.available_after, fee.reserved_after) == (8_460, 0)
    assert paid.order is not None and paid.order.status is OrderStatus.COMPLETED
    assert paid.order.delivery == "k1.sealed"
    assert paid.hold is not None and paid.hold.state is HoldState.CAPTURED


def test_release_gives_amount_and_fee_back() -> None:
    book = book_with(available=10_000, limits=limits(per_day=2000))
    out = reserve(book, None, 0, approved_order(amount=1500, fee=40), T0)
    assert out.hold is not None and out.order is not None
    failed = settle(out.book, out.hold, out.order, False, "declined", T0)
    assert _figures(failed.book) == (10_000, 0)
    [release] = failed.entries
    assert (release.kind, release.amount) == (EntryKind.RELEASE, 1540)
    assert failed.end_user_delta == -1500
    assert failed.order is not None and failed.order.delivery is None
    account = failed.book.account("EUR")
    assert account is not None and account.usage.day_total == 0


def test_a_zero_fee_writes_no_fee_entry() -> None:
    out = reserve(book_with(available=10_000), None, 0, approved_order(amount=1500), T0)
    assert out.hold is not None and out.order is not None
    paid = settle(out.book, out.hold, out.order, True, "paid", T0)
    assert [e.kind for e in paid.entries] == [EntryKind.CAPTURE]


def test_insufficient_funds_counts_the_fee() -> None:
    order = approved_order(amount=1000, fee=50)
    short = reserve(book_with(available=1049), None, 0, order, T0)
    assert short.order is not None and short.order.status is OrderStatus.REJECTED
    assert short.order.history[-1].reason == (
        "insufficient funds: 10.49 EUR available for a 10.00 EUR payout and a 0.50 EUR fee"
    )
    assert short.hold is not None and short.hold.fee == 50
    exact = reserve(book_with(available=1050), None, 0, order, T0)
    assert exact.order is not None and exact.order.status is OrderStatus.RESERVED
    assert _figures(exact.book) == (0, 1050)


@pytest.mark.parametrize(
    "caps", [{"per_order": 1000}, {"per_day": 1000}, {"per_month": 1000}, {"per_end_user_day": 1000}]
)
def test_limits_cap_the_payout_amount_not_the_fee(caps: dict[str, int]) -> None:
    out = reserve(book_with(available=10_000, limits=limits(**caps)), None, 0,
                  approved_order(amount=1000, fee=300), T0)  # fmt: skip
    assert out.order is not None and out.order.status is OrderStatus.RESERVED


def test_a_ledger_with_fees_verifies_and_a_lost_or_extra_fee_is_reported() -> None:
    top_up = apply_command(Book("cmp_a"), command(CommandKind.TOP_UP, amount=10_000))
    book, entries, terminal = top_up.book, list(top_up.entries), {}
    for n, paid in ((1, True), (2, False), (3, True)):
        order = approved_order(n, amount=1000, fee=25 * n)
        r = reserve(book, None, 0, order, T0)
        assert r.hold is not None and r.order is not None
        s = settle(r.book, r.hold, r.order, paid, "x", T0)
        assert s.order is not None
        book, entries = s.book, entries + list(r.entries) + list(s.entries)
        terminal[order.id] = {s.order.status}
    report = verify_ledger(entries, {"cmp_a": book}, terminal)
    assert report.ok, report.problems
    assert [e.kind for e in entries].count(EntryKind.FEE) == 2
    assert _figures(book) == (10_000 - 2000 - 25 - 75, 0)

    # A capture without its fee leaves money in `reserved` that the order never accounts for.
    last_fee = entries[-1]
    assert last_fee.kind is EntryKind.FEE
    problems = verify_ledger(entries[:-1], {"cmp_a": book}, terminal).problems
    assert any("settled a different amount than reserved" in p for p in problems), problems
    # A second fee for one order: more entries than one capture allows.
    extra = replace(last_fee, entry_id="again:fee", available_after=last_fee.available_after,
                    reserved_after=last_fee.reserved_after - last_fee.amount)  # fmt: skip
    problems = verify_ledger([*entries, extra], {"cmp_a": book}, terminal).problems
    assert any(f"order {last_fee.order_id}: entries" in p for p in problems), problems
    # A fee for an order that was released is never earned.
    released = next(e for e in entries if e.kind is EntryKind.RELEASE)
    stray = replace(last_fee, entry_id=f"{released.order_id}:fee", order_id=released.order_id)
    problems = verify_ledger([*entries, stray], {"cmp_a": book}, terminal).problems
    assert any(f"order {released.order_id}: entries" in p for p in problems), problems
