"""Statements against the books (issue 5, acceptance 3): for every company and currency with
ledger entries, the ClickHouse statement (what the sink stored in `ledger_entries`) must equal
the statement built from the ledger's own entries as `quadra ledger verify` reads them from
Kafka, and its closing balance must equal the company's balance in the `balances` topic.

Periods checked per company and currency: the whole history (first entry's UTC day to the
day after the last one), every UTC calendar day in it, and a few sub-periods cut at entries'
own timestamps (so an entry, or several sharing a millisecond, sits right on a boundary).
Boundaries are whole milliseconds: ClickHouse keeps `at` to the millisecond, and for such a
boundary "before it" means the same on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.clickhouse import ClickHouse
from analytics.reports.statements import (
    Balance, ClickHouseStatements, compare_statements, statement_from_entries,
)  # fmt: skip
from domain.ledger import Book, Entry

DAY = timedelta(days=1)


@dataclass
class ReconcileReport:
    scopes: int = 0  # company × currency pairs compared
    statements: int = 0  # statements compared (all periods of all scopes)
    problems: list[str] = field(default_factory=list)
    # Entries stamped earlier than an entry the ledger applied before them (same company and
    # currency, log order): there, "the balance after the last entry before t" (what the
    # ClickHouse statement reads) and "every entry before t" (what the books sum) can differ.
    out_of_order: int = 0
    whole_problems: int = 0  # of `problems`: the whole-history statements and the balance sheet

    @property
    def ok(self) -> bool:
        return not self.problems


def _midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _millisecond(at: datetime) -> datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def reconciliation_periods(ats: Iterable[datetime], cuts: int = 4) -> list[tuple[datetime, datetime]]:
    """[from, to) periods for entries at `ats`: the whole span first, then each UTC day, then
    `cuts` + 1 sub-periods split at entries' own (millisecond) timestamps."""
    ordered = sorted(ats)
    if not ordered:
        return []
    start, end = _midnight(ordered[0]), _midnight(ordered[-1]) + DAY
    periods = [(start, end)]
    days = [start + i * DAY for i in range((end - start) // DAY + 1)]
    if len(days) > 2:  # more than one day: each of them on its own
        periods += list(zip(days, days[1:], strict=False))
    marks = {_millisecond(ordered[len(ordered) * i // (cuts + 1)]) for i in range(1, cuts + 1)}
    bounds = sorted({start, end} | {m for m in marks if start < m < end})
    periods += [p for p in zip(bounds, bounds[1:], strict=False) if p not in periods]
    return periods


async def reconcile_statements(
    clickhouse: ClickHouse, entries: Iterable[Entry], books: Mapping[str, Book], cuts: int = 4
) -> ReconcileReport:
    """Every difference between the ClickHouse statements and the ledger ([] problems if none).
    `entries` in log order per company (as read from `ledger.entries`, keyed by company)."""
    report = ReconcileReport()
    scopes: dict[tuple[str, str], list[Entry]] = {}
    seen: set[tuple[str, str, str]] = set()
    latest: dict[tuple[str, str], datetime] = {}
    for e in entries:
        key = (e.company_id, e.currency, e.entry_id)
        if key not in seen:  # a repeated entry counts once, as in the statements
            seen.add(key)
            scope = (e.company_id, e.currency)
            scopes.setdefault(scope, []).append(e)
            if scope in latest and e.at < latest[scope]:
                report.out_of_order += 1
            latest[scope] = max(e.at, latest.get(scope, e.at))
    statements = ClickHouseStatements(clickhouse)

    stored = await clickhouse.query(
        f"SELECT DISTINCT company_id, currency FROM {clickhouse.table('ledger_entries')} "
        "ORDER BY company_id, currency"
    )
    for company_id, currency in stored:
        if (company_id, currency) not in scopes:
            report.problems.append(f"{company_id} {currency}: entries in ClickHouse, none in the ledger")

    for (company_id, currency), scoped in sorted(scopes.items()):
        report.scopes += 1
        periods = reconciliation_periods((e.at for e in scoped), cuts)
        for i, (period_from, period_to) in enumerate(periods):
            expected = statement_from_entries(scoped, company_id, currency, period_from, period_to)
            actual = await statements.statement(company_id, currency, period_from, period_to)
            report.statements += 1
            found = compare_statements(expected, actual)
            if i == 0:  # the whole history: it must close on the balance sheet
                found += _against_book(books.get(company_id), company_id, currency, actual.closing)
                report.whole_problems += len(found)
            report.problems += found

    for company_id, book in sorted(books.items()):
        for account in book.accounts:
            if (company_id, account.currency) not in scopes and (account.available or account.reserved):
                report.problems.append(
                    f"{company_id} {account.currency}: balance available {account.available}, "
                    f"reserved {account.reserved} but no ledger entries"
                )
    return report


def _against_book(book: Book | None, company_id: str, currency: str, closing: Balance) -> list[str]:
    account = book.account(currency) if book is not None else None
    if account is None:
        return [f"{company_id} {currency}: entries but no balance in the balances topic"]
    available, reserved = closing.available, closing.reserved
    if (account.available, account.reserved) != (available, reserved):
        return [
            f"{company_id} {currency}: ClickHouse closes at available {available}, reserved "
            f"{reserved}; the balance sheet says available {account.available}, reserved "
            f"{account.reserved}"
        ]
    return []
