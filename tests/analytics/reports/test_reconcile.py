"""Statements against the books: every company and currency, whole history, each day and a few
sub-periods, and the closing balance against the balance sheet (issue 5, acceptance 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.reconcile import reconcile_statements, reconciliation_periods
from domain.ledger import Account, Book, Entry
from tests.analytics.reports.rows import LEDGER_COLUMNS, insert
from tests.analytics.reports.test_statements import _ledger, _rows


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


def _books(entries: list[Entry]) -> dict[str, Book]:
    books: dict[str, Book] = {}
    for e in entries:  # log order: the last entry carries the balance
        book = books.get(e.company_id, Book(e.company_id))
        books[e.company_id] = book.with_account(Account(e.currency, e.available_after, e.reserved_after))
    return books


async def _stored(clickhouse: ClickHouse, entries: list[Entry]) -> None:
    migrate(clickhouse)
    await insert(clickhouse, "ledger_entries", LEDGER_COLUMNS, _rows(entries))


def test_periods_whole_span_days_and_cuts_at_entries_on_milliseconds() -> None:
    t = datetime(2025, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    ats = [t, t + timedelta(microseconds=2), t + timedelta(hours=1)]
    periods = reconciliation_periods(ats, cuts=2)
    day = datetime(2025, 3, 1, tzinfo=UTC)
    assert periods[0] == (day, day + 2 * timedelta(days=1))
    assert (day, day + timedelta(days=1)) in periods and (day + timedelta(days=1), day + timedelta(days=2)) in periods
    bounds = {b for p in periods for b in p}
    assert datetime(2025, 3, 2, 0, 59, 59, 999_000, tzinfo=UTC) in bounds  # an entry's own millisecond
    assert all(b.microsecond % 1000 == 0 for b in bounds) and len(periods) == len(set(periods))
    assert reconciliation_periods([]) == []


async def test_a_faithful_copy_reconciles_everywhere(clickhouse: ClickHouse) -> None:
    entries = _ledger() + _ledger("cmp_a", "USD") + _ledger("cmp_b")
    await _stored(clickhouse, entries + entries[:4])  # a replayed batch changes nothing
    report = await reconcile_statements(clickhouse, entries, _books(entries))
    assert report.problems == []
    assert report.scopes == 3 and report.statements > 3 * 40  # whole span, 41 days, sub-periods


async def test_a_missing_row_a_wrong_balance_or_a_stray_company_are_reported(clickhouse: ClickHouse) -> None:
    entries = _ledger() + _ledger("cmp_b")
    stray = replace(entries[0], entry_id="x:top_up", company_id="cmp_stray")
    await _stored(clickhouse, [e for e in entries if e.entry_id != "t2:top_up" or e.company_id != "cmp_b"] + [stray])
    books = _books(entries)
    books["cmp_a"] = books["cmp_a"].with_account(Account("EUR", 1, 0))
    books["cmp_c"] = Book("cmp_c", (Account("EUR", 5, 0),))
    problems = (await reconcile_statements(clickhouse, entries, books)).problems
    assert any(p.startswith("cmp_stray EUR: entries in ClickHouse") for p in problems)
    assert any(p.startswith("cmp_b EUR [") and "movements" in p for p in problems)  # the missing top-up
    assert any(p.startswith("cmp_a EUR: ClickHouse closes at") for p in problems)  # vs the balance sheet
    assert any(p.startswith("cmp_c EUR: balance available 5") for p in problems)
    assert not any(p.startswith("cmp_a EUR [") for p in problems)  # cmp_a's rows are all there
