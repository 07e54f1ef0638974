"""Checks every ledger invariant of DESIGN.md over the entries, the balances and the orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.ledger import Book, Entry, EntryKind, LedgerAccount
from domain.orders import OrderStatus

_SETTLEMENTS = {EntryKind.CAPTURE: OrderStatus.COMPLETED, EntryKind.RELEASE: OrderStatus.FAILED}


@dataclass
class LedgerReport:
    entries: int = 0
    accounts: int = 0
    orders: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(
    entries: Iterable[Entry],
    books: Mapping[str, Book],
    terminal_statuses: Mapping[str, set[OrderStatus]] | None = None,
) -> LedgerReport:
    """`entries` in log order per company; `books` the latest balance per company;
    `terminal_statuses` (optional) every terminal status each order reached."""
    report = LedgerReport()
    seen: set[str] = set()
    by_order: dict[str, list[Entry]] = defaultdict(list)
    sums: dict[tuple[str, str], dict[LedgerAccount, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        report.entries += 1
        if entry.entry_id in seen:
            report.problems.append(f"entry {entry.entry_id} applied more than once")
            continue
        seen.add(entry.entry_id)
        if entry.amount <= 0 or entry.source is entry.target:
            report.problems.append(f"entry {entry.entry_id} moves {entry.amount} onto itself or less")
        balance = sums[(entry.company_id, entry.currency)]
        balance[entry.source] -= entry.amount
        balance[entry.target] += entry.amount
        if (balance[LedgerAccount.AVAILABLE], balance[LedgerAccount.RESERVED]) != (
            entry.available_after, entry.reserved_after,
        ):  # fmt: skip
            report.problems.append(
                f"entry {entry.entry_id}: running balance {balance[LedgerAccount.AVAILABLE]}/"
                f"{balance[LedgerAccount.RESERVED]} but the entry says "
                f"{entry.available_after}/{entry.reserved_after}"
            )
        if entry.order_id:
            by_order[entry.order_id].append(entry)
    _check_balances(report, sums, books)
    _check_orders(report, by_order, terminal_statuses)
    return report


def _check_balances(
    report: LedgerReport,
    sums: Mapping[tuple[str, str], Mapping[LedgerAccount, int]],
    books: Mapping[str, Book],
) -> None:
    accounts = {(b.company_id, a.currency): a for b in books.values() for a in b.accounts}
    report.accounts = len(accounts)
    for key in sorted(set(accounts) | set(sums)):
        account = accounts.get(key)
        balance = sums.get(key, {})
        if sum(balance.values()) != 0:
            report.problems.append(f"{key}: entries do not sum to zero")
        available = balance.get(LedgerAccount.AVAILABLE, 0)
        reserved = balance.get(LedgerAccount.RESERVED, 0)
        if account is None:
            if available or reserved:
                report.problems.append(f"{key}: entries but no balance")
            continue
        if (account.available, account.reserved) != (available, reserved):
            report.problems.append(
                f"{key}: balance {account.available}/{account.reserved} but entries sum to "
                f"{available}/{reserved} (available/reserved)"
            )
        if account.available + account.credit_limit < 0:
            report.problems.append(f"{key}: available + credit_limit is below zero")


def _check_orders(
    report: LedgerReport,
    by_order: Mapping[str, list[Entry]],
    terminal_statuses: Mapping[str, set[OrderStatus]] | None,
) -> None:
    report.orders = len(terminal_statuses) if terminal_statuses is not None else len(by_order)
    for order_id, order_entries in by_order.items():
        kinds = [e.kind for e in order_entries]
        reserves = [e for e in order_entries if e.kind is EntryKind.RESERVE]
        settlements = [e for e in order_entries if e.kind in _SETTLEMENTS]
        fees = [e for e in order_entries if e.kind is EntryKind.FEE]
        # One reserve; at most one capture or release; a fee only beside the capture it goes with.
        captured = [e for e in settlements if e.kind is EntryKind.CAPTURE]
        if len(reserves) != 1 or len(settlements) > 1 or len(fees) > len(captured):
            report.problems.append(f"order {order_id}: entries {[k.value for k in kinds]}")
            continue
        # The reserve held amount + fee: a capture with its fee, or a release, moves exactly that.
        if settlements and sum(e.amount for e in settlements + fees) != reserves[0].amount:
            report.problems.append(f"order {order_id}: settled a different amount than reserved")
        if terminal_statuses is not None and settlements:
            kind = settlements[0].kind
            if terminal_statuses.get(order_id) != {_SETTLEMENTS[kind]}:
                report.problems.append(
                    f"order {order_id}: {kind.value} entry but terminal status "
                    f"{sorted(s.value for s in terminal_statuses.get(order_id, set()))}"
                )
    if terminal_statuses is None:
        return
    for order_id, statuses in terminal_statuses.items():
        if len(statuses) != 1:
            report.problems.append(
                f"order {order_id}: terminal states {sorted(s.value for s in statuses)}"
            )
        elif OrderStatus.REJECTED in statuses and order_id in by_order:
            report.problems.append(f"order {order_id}: rejected but has ledger entries")
