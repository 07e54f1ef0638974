from __future__ import annotations

from dataclasses import replace

import pytest

from domain.ledger import Book, Entry
from domain.ledger_commands import CommandKind, apply_command
from domain.ledger_orders import reserve, settle
from domain.ledger_verify import verify_ledger
from domain.orders import OrderStatus
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, command


def _history() -> tuple[list[Entry], Book, dict[str, set[OrderStatus]]]:
    """A top-up, two paid orders, one failed one: a clean ledger."""
    out = apply_command(Book("cmp_a"), command(CommandKind.TOP_UP, amount=10_000))
    book, entries, terminal = out.book, list(out.entries), {}
    for n, paid in ((1, True), (2, True), (3, False)):
        order = approved_order(n, amount=1000)
        r = reserve(book, None, 0, order, T0)
        assert r.hold is not None and r.order is not None
        s = settle(r.book, r.hold, r.order, paid, "x", T0)
        assert s.order is not None
        book, entries = s.book, entries + list(r.entries) + list(s.entries)
        terminal[order.id] = {s.order.status}
    return entries, book, terminal


def test_a_clean_ledger_verifies() -> None:
    entries, book, terminal = _history()
    report = verify_ledger(entries, {"cmp_a": book}, terminal)
    assert report.ok, report.problems
    assert (report.entries, report.accounts, report.orders) == (7, 1, 3)


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda e, b, t: (e + [e[2]], b, t), "applied more than once"),
        (lambda e, b, t: (e[:-1], b, t), "balance"),
        (lambda e, b, t: ([*e[:1], replace(e[1], amount=999), *e[2:]], b, t), "running balance"),
        (lambda e, b, t: (e, replace(b, accounts=(replace(b.accounts[0], available=1),)), t), "balance 1/0"),
        (lambda e, b, t: (e, b, {**t, e[2].order_id: {OrderStatus.FAILED}}), "capture entry but terminal"),
        (lambda e, b, t: (e, b, {**t, e[2].order_id: {OrderStatus.COMPLETED, OrderStatus.FAILED}}),
         "terminal states"),
        (lambda e, b, t: ([*e, replace(e[2], entry_id="x:capture2", available_after=e[-1].available_after,
                                       reserved_after=-1000)], b, t), "entries"),
        (lambda e, b, t: (e, replace(b, accounts=(replace(b.accounts[0], available=-5, credit_limit=0),)), t),
         "below zero"),
    ],
)  # fmt: skip
def test_tampering_is_reported(tamper, problem: str) -> None:  # type: ignore[no-untyped-def]
    entries, book, terminal = _history()
    e, b, t = tamper(entries, book, terminal)
    report = verify_ledger(e, {"cmp_a": b}, t)
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems
