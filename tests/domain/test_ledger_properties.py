"""Property: whatever mix and order of orders (with fees), results and commands arrives, the
balance never goes below its credit limit, and the entries always explain the balance exactly:
reserved is what open holds took (amount + fee), payouts and fee revenue what captures moved."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger import Book, Hold, HoldState, LedgerAccount
from domain.ledger_commands import CommandKind, apply_command
from domain.ledger_orders import reserve, settle
from domain.orders import Order
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, command

steps = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.integers(1, 20), st.tuples(st.integers(1, 5000), st.integers(0, 500))),
        st.tuples(st.just("pay"), st.integers(1, 20), st.booleans()),
        st.tuples(st.just("top_up"), st.integers(1, 5000), st.just(0)),
        st.tuples(st.just("adjust"), st.integers(-5000, 5000), st.just(0)),
        st.tuples(st.just("credit"), st.integers(0, 3000), st.just(0)),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_balance_never_below_credit_limit_and_entries_explain_it(plan: list[tuple]) -> None:
    book = Book("cmp_a")
    holds: dict[str, Hold] = {}
    orders: dict[str, Order] = {}
    entries = []
    for n, (kind, a, b) in enumerate(plan):
        if kind == "order":
            amount, fee = b
            order = approved_order(a, amount=amount, fee=fee)
            out = reserve(book, holds.get(order.id), 0, order, T0)
        elif kind == "pay":
            order = approved_order(a)
            out = settle(book, holds.get(order.id), orders.get(order.id, order), b, "r", T0)
        else:
            cmd = {
                "top_up": command(CommandKind.TOP_UP, n, amount=a),
                "adjust": command(CommandKind.ADJUST, n, amount=a, reason="r"),
                "credit": command(CommandKind.SET_CREDIT_LIMIT, n, credit_limit=a),
            }[kind]
            out = apply_command(book, cmd)
        book = out.book
        entries.extend(out.entries)
        if getattr(out, "hold", None) is not None:
            holds[out.hold.order_id] = out.hold
            orders[out.hold.order_id] = out.order
        account = book.account("EUR")
        if account is not None:
            assert account.available + account.credit_limit >= 0
            assert account.reserved >= 0

    def balance(name: LedgerAccount) -> int:
        return sum(e.amount for e in entries if e.target is name) - sum(
            e.amount for e in entries if e.source is name
        )

    account = book.account("EUR")
    available = account.available if account else 0
    reserved = account.reserved if account else 0
    assert balance(LedgerAccount.AVAILABLE) == available
    assert balance(LedgerAccount.RESERVED) == reserved
    assert sum(balance(a) for a in LedgerAccount) == 0

    def held(state: HoldState) -> list[Hold]:
        return [h for h in holds.values() if h.state is state]

    assert reserved == sum(h.total for h in held(HoldState.RESERVED))
    assert balance(LedgerAccount.PAYOUTS) == sum(h.amount for h in held(HoldState.CAPTURED))
    assert balance(LedgerAccount.FEES) == sum(h.fee for h in held(HoldState.CAPTURED))
    ids = [e.entry_id for e in entries]
    assert len(ids) == len(set(ids)), "an entry was applied twice"
