from __future__ import annotations

import pytest

from domain.ledger import BalanceStatus, Book, EntryKind, HoldState, LedgerAccount
from domain.ledger_commands import CommandKind, apply_command
from domain.ledger_orders import reserve, settle
from domain.money import format_minor
from domain.orders import OrderStatus
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, book_with, command, limits


def test_reserve_moves_available_to_reserved_and_records_one_entry() -> None:
    order = approved_order(amount=1500)
    out = reserve(book_with(available=10_000), None, 0, order, T0)

    account = out.book.account("EUR")
    assert account is not None and (account.available, account.reserved) == (8_500, 1_500)
    [entry] = out.entries
    assert (entry.kind, entry.amount, entry.source, entry.target) == (
        EntryKind.RESERVE, 1500, LedgerAccount.AVAILABLE, LedgerAccount.RESERVED,
    )  # fmt: skip
    assert entry.entry_id == f"{order.id}:reserve"
    assert out.order is not None and out.order.status is OrderStatus.RESERVED
    assert out.hold is not None and out.hold.state is HoldState.RESERVED
    assert out.end_user_delta == 1500


@pytest.mark.parametrize(
    ("book_kwargs", "end_user_used", "reason"),
    [
        ({"available": 999}, 0, "insufficient funds: 9.99 EUR available for a 10.00 EUR payout"),
        ({"available": 0, "credit_limit": 999}, 0, "insufficient funds"),
        ({"available": 10_000, "status": BalanceStatus.BLOCKED}, 0, "balance blocked"),
        ({"available": 10_000, "limits": limits(per_order=999)}, 0, "per-order limit is 9.99 EUR"),
        ({"available": 10_000, "limits": limits(per_end_user_day=1500)}, 600, "daily end-user limit"),
        ({"available": 10_000, "limits": limits(per_product_day=(("card-transfer-eur", 500),))}, 0,
         "daily product limit is 5.00 EUR"),
    ],
)  # fmt: skip
def test_reserve_rejects_with_a_reason(book_kwargs: dict, end_user_used: int, reason: str) -> None:
    book = book_with(**book_kwargs)
    out = reserve(book, None, end_user_used, approved_order(amount=1000), T0)
    assert out.book == book and out.entries == ()
    assert out.order is not None and out.order.status is OrderStatus.REJECTED
    assert reason in out.order.history[-1].reason
    assert out.hold is not None and out.hold.state is HoldState.REJECTED


def test_no_balance_in_the_currency_is_insufficient_funds() -> None:
    out = reserve(Book("cmp_a"), None, 0, approved_order(), T0)
    assert out.order is not None and "no EUR balance" in out.order.history[-1].reason


def test_credit_limit_lets_the_balance_go_negative_down_to_the_limit() -> None:
    out = reserve(book_with(available=500, credit_limit=500), None, 0, approved_order(amount=1000), T0)
    account = out.book.account("EUR")
    assert account is not None and account.available == -500 and account.spendable == 0


def test_daily_and_monthly_limits_count_reservations_and_roll_over() -> None:
    book = book_with(available=100_000, limits=limits(per_day=2000, per_month=2500))
    first = reserve(book, None, 0, approved_order(1, 1500), T0)
    second = reserve(first.book, None, 0, approved_order(2, 600), T0)
    assert second.order is not None and "daily limit is 20.00 EUR" in second.order.history[-1].reason
    third = reserve(first.book, None, 0, approved_order(3, 500), T0)
    assert third.order is not None and third.order.status is OrderStatus.RESERVED
    # a failure gives the usage back
    assert first.hold is not None and first.order is not None
    released = settle(third.book, first.hold, first.order, False, "provider declined", T0)
    fourth = reserve(released.book, None, 0, approved_order(4, 1500), T0)
    assert fourth.order is not None and fourth.order.status is OrderStatus.RESERVED


def test_duplicates_change_nothing() -> None:
    order = approved_order()
    out = reserve(book_with(available=5000), None, 0, order, T0)
    again = reserve(out.book, out.hold, 0, order, T0)
    assert (again.book, again.hold, again.order, again.entries) == (out.book, None, None, ())

    assert out.hold is not None and out.order is not None
    paid = settle(out.book, out.hold, out.order, True, "paid", T0)
    assert paid.hold is not None
    for late in (True, False):  # a second result for a settled order: nothing
        dup = settle(paid.book, paid.hold, out.order, late, "late", T0)
        assert (dup.book, dup.hold, dup.entries) == (paid.book, None, ())


def test_capture_and_release() -> None:
    order = approved_order(amount=1000)
    out = reserve(book_with(available=5000), None, 0, order, T0)
    assert out.hold is not None and out.order is not None

    paid = settle(out.book, out.hold, out.order, True, "paid by bank A", T0)
    account = paid.book.account("EUR")
    assert account is not None and (account.available, account.reserved) == (4000, 0)
    assert paid.entries[0].kind is EntryKind.CAPTURE and paid.entries[0].target is LedgerAccount.PAYOUTS
    assert paid.order is not None and paid.order.status is OrderStatus.COMPLETED

    failed = settle(out.book, out.hold, out.order, False, "card closed", T0)
    account = failed.book.account("EUR")
    assert account is not None and (account.available, account.reserved) == (5000, 0)
    assert failed.order is not None and failed.order.status is OrderStatus.FAILED
    assert failed.end_user_delta == -1000


def test_low_balance_fires_once_per_crossing() -> None:
    book = apply_command(book_with(available=5000), command(
        CommandKind.SET_LOW_BALANCE_THRESHOLD, low_balance_threshold=3000)).book  # fmt: skip
    first = reserve(book, None, 0, approved_order(1, 2500), T0)
    second = reserve(first.book, None, 0, approved_order(2, 100), T0)
    assert first.low_balance is not None and first.low_balance.available == 2500
    assert second.low_balance is None
    topped = apply_command(second.book, command(CommandKind.TOP_UP, 2, amount=10_000))
    again = reserve(topped.book, None, 0, approved_order(3, 10_000), T0)
    assert topped.low_balance is None and again.low_balance is not None


@pytest.mark.parametrize(
    ("cmd", "detail"),
    [
        (command(CommandKind.TOP_UP, amount=0), "positive"),
        (command(CommandKind.TOP_UP, amount=-5), "positive"),
        (command(CommandKind.TOP_UP, amount=10**18), "positive"),
        (command(CommandKind.TOP_UP, amount=5, currency="XXX"), "unknown currency"),
        (command(CommandKind.ADJUST, amount=5), "reason"),
        (command(CommandKind.ADJUST, amount=0, reason="x"), "non-zero"),
        (command(CommandKind.ADJUST, amount=-6000, reason="fix"), "below its credit limit"),
        (command(CommandKind.BLOCK), "reason"),
        (command(CommandKind.SET_CREDIT_LIMIT, credit_limit=-1), "zero or positive"),
        (command(CommandKind.SET_LOW_BALANCE_THRESHOLD, low_balance_threshold=-1), "zero or positive"),
    ],
)
def test_bad_commands_are_refused_and_change_nothing(cmd: object, detail: str) -> None:
    book = book_with(available=5000)
    out = apply_command(book, cmd)  # type: ignore[arg-type]
    assert out.error is not None and detail in out.error.detail
    assert out.book == book and out.entries == ()


def test_credit_limit_cannot_drop_below_the_debt() -> None:
    book = book_with(available=-300, credit_limit=500)
    out = apply_command(book, command(CommandKind.SET_CREDIT_LIMIT, credit_limit=200))
    assert out.error is not None and out.error.status == 409
    ok = apply_command(book, command(CommandKind.SET_CREDIT_LIMIT, credit_limit=300))
    assert ok.error is None


def test_top_up_adjust_block_unblock() -> None:
    book = apply_command(book_with(), command(CommandKind.TOP_UP, amount=700, reference="wire 1")).book
    book = apply_command(book, command(CommandKind.ADJUST, 2, amount=-200, reason="fee refund")).book
    book = apply_command(book, command(CommandKind.BLOCK, 3, reason="chargeback")).book
    account = book.account("EUR")
    assert account is not None and account.available == 500
    assert account.status is BalanceStatus.BLOCKED
    book = apply_command(book, command(CommandKind.UNBLOCK, 4)).book
    assert book.account("EUR").status is BalanceStatus.ACTIVE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [(1050, "EUR", "10.50 EUR"), (-5, "EUR", "-0.05 EUR"), (1500, "JPY", "1500 JPY"), (1, "KWD", "0.001 KWD")],
)
def test_format_minor(value: int, currency: str, text: str) -> None:
    assert format_minor(value, currency) == text


def test_an_accounts_entries_never_go_back_in_time() -> None:
    # The ledger's inputs interleave (a payout result stamped earlier than a top-up applied
    # before it); statements rely on an account's entries being in time order.
    from datetime import timedelta

    from domain.ledger import Account, move

    later, earlier = T0 + timedelta(seconds=5), T0
    book = Book("cmp_a", (Account("EUR"),))
    book, account, first = move(book, book.accounts[0], EntryKind.TOP_UP, 100,
                                LedgerAccount.FUNDING, LedgerAccount.AVAILABLE, later, "e1")  # fmt: skip
    book, account, second = move(book, account, EntryKind.TOP_UP, 50,
                                 LedgerAccount.FUNDING, LedgerAccount.AVAILABLE, earlier, "e2")  # fmt: skip
    assert first.at == later and second.at == later and account.last_entry_at == later
    book, account, third = move(book, account, EntryKind.TOP_UP, 1, LedgerAccount.FUNDING,
                                LedgerAccount.AVAILABLE, later + timedelta(seconds=1), "e3")  # fmt: skip
    assert third.at == later + timedelta(seconds=1)
