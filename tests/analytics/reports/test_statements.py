"""Statements from a constructed ledger: opening, movements, closing, and reconciliation
with the ledger's own entries (what `quadra ledger verify` reads)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.statements import (
    Balance, ClickHouseStatements, Movement, compare_statements, statement_from_entries,
)  # fmt: skip
from domain.ledger import Entry, EntryKind, LedgerAccount
from tests.analytics.reports.rows import LEDGER_COLUMNS, insert
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


D = timedelta(days=1)
A, R = LedgerAccount.AVAILABLE, LedgerAccount.RESERVED
MOVES = {
    EntryKind.TOP_UP: (LedgerAccount.FUNDING, A), EntryKind.RESERVE: (A, R),
    EntryKind.CAPTURE: (R, LedgerAccount.PAYOUTS), EntryKind.FEE: (R, LedgerAccount.FEES),
    EntryKind.RELEASE: (R, A),
}  # fmt: skip


def _ledger(company: str = "cmp_a", currency: str = "EUR") -> list[Entry]:
    """Entries in log order with running balances, as the ledger agent writes them."""
    steps = [
        (0, EntryKind.TOP_UP, 100_000, "t1"),
        (1, EntryKind.RESERVE, 1_010, "o1"),
        (1, EntryKind.CAPTURE, 1_000, "o1"),  # same millisecond: capture, then its fee
        (1, EntryKind.FEE, 10, "o1"),
        (2, EntryKind.RESERVE, 2_020, "o2"),  # still reserved at the start of day 10
        (10, EntryKind.TOP_UP, 50_000, "t2"),
        (11, EntryKind.RESERVE, 505, "o3"),
        (11, EntryKind.RELEASE, 505, "o3"),
        (12, EntryKind.CAPTURE, 2_000, "o2"),
        (12, EntryKind.FEE, 20, "o2"),
        (13, EntryKind.ADJUSTMENT, 300, "a1"),  # credit
        (14, EntryKind.ADJUSTMENT, 100, "a2"),  # debit
        (40, EntryKind.TOP_UP, 7, "t3"),  # after the period
    ]
    entries, available, reserved = [], 0, 0
    for day, kind, amount, ref in steps:
        if kind is EntryKind.ADJUSTMENT:
            source, target = (LedgerAccount.ADJUSTMENTS, A) if ref == "a1" else (A, LedgerAccount.ADJUSTMENTS)
        else:
            source, target = MOVES[kind]
        available += (amount if target is A else 0) - (amount if source is A else 0)
        reserved += (amount if target is R else 0) - (amount if source is R else 0)
        entries.append(Entry(
            f"{ref}:{kind.value}", company, currency, kind, amount, source, target, T0 + day * D,
            order_id=ref if ref.startswith("o") else "", available_after=available, reserved_after=reserved,
        ))  # fmt: skip
    return entries


def _rows(entries: list[Entry]) -> list[dict]:
    return [{
        "entry_id": e.entry_id, "company_id": e.company_id, "currency": e.currency, "kind": e.kind.value,
        "amount": e.amount, "source": e.source.value, "target": e.target.value, "at": e.at,
        "order_id": e.order_id, "available_after": e.available_after, "reserved_after": e.reserved_after,
    } for e in entries]  # fmt: skip


@pytest.fixture
async def statements(clickhouse: ClickHouse) -> ClickHouseStatements:
    migrate(clickhouse)
    entries = _ledger() + _ledger("cmp_a", "USD") + _ledger("cmp_b")
    await insert(clickhouse, "ledger_entries", LEDGER_COLUMNS, _rows(entries))
    await insert(clickhouse, "ledger_entries", LEDGER_COLUMNS, _rows(entries[:5]))  # replayed: no double
    return ClickHouseStatements(clickhouse)


async def test_statement_of_a_period(statements: ClickHouseStatements) -> None:
    s = await statements.statement("cmp_a", "EUR", T0 + 5 * D, T0 + 30 * D)
    assert s.opening == Balance(100_000 - 1_010 - 2_020, 2_020)
    assert s.movements == (
        Movement("adjustment", 2, 400, 200, 0),
        Movement("capture", 1, 2_000, 0, -2_000),
        Movement("fee", 1, 20, 0, -20),
        Movement("release", 1, 505, 505, -505),
        Movement("reserve", 1, 505, -505, 505),
        Movement("top_up", 1, 50_000, 50_000, 0),
    )
    assert [m.net for m in s.movements if m.kind in ("reserve", "release")] == [0, 0]
    assert s.net == 50_000 - 2_020 + 200
    assert s.closing == Balance(100_000 - 1_010 + 50_000 - 2_020 + 200, 0)
    assert s.reconciled and s.difference == 0


async def test_statements_match_the_ledger_for_every_period(statements: ClickHouseStatements) -> None:
    entries = _ledger()
    periods = [(0, 1), (0, 2), (1, 2), (1, 13), (2, 40), (12, 13), (41, 50), (-5, 0)]
    for start, end in periods:
        period = (T0 + start * D, T0 + end * D)
        actual = await statements.statement("cmp_a", "EUR", *period)
        expected = statement_from_entries(entries, "cmp_a", "EUR", *period)
        assert compare_statements(expected, actual) == [], (start, end)
        assert actual.reconciled


async def test_no_entries_before_the_period_opens_at_zero(statements: ClickHouseStatements) -> None:
    s = await statements.statement("cmp_zzz", "EUR", T0, T0 + D)
    assert (s.opening, s.movements, s.closing, s.reconciled) == (Balance(), (), Balance(), True)
    injected = await statements.statement("x' OR 1=1 --", "EUR'; DROP TABLE ledger_entries", T0, T0 + D)
    assert injected.movements == () and (await statements.currencies("cmp_a")) == ["EUR", "USD"]


async def test_ties_in_one_millisecond_resolve_whatever_the_entry_ids(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    entries = _ledger()
    # Rename the same-millisecond capture and fee so their ids sort against log order.
    entries[2], entries[3] = replace(entries[2], entry_id="zz:capture"), replace(entries[3], entry_id="aa:fee")
    await insert(clickhouse, "ledger_entries", LEDGER_COLUMNS, _rows(entries))
    s = await ClickHouseStatements(clickhouse).statement("cmp_a", "EUR", T0 + 1.5 * D, T0 + 3 * D)
    assert s.opening == Balance(100_000 - 1_010, 0) and s.reconciled


async def test_a_broken_ledger_does_not_reconcile(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    entries = _ledger()
    entries[5] = replace(entries[5], available_after=entries[5].available_after + 1)  # a wrong balance
    await insert(clickhouse, "ledger_entries", LEDGER_COLUMNS, _rows(entries[:6]))
    s = await ClickHouseStatements(clickhouse).statement("cmp_a", "EUR", T0 + 5 * D, T0 + 30 * D)
    assert not s.reconciled and s.difference == 1
    problems = compare_statements(statement_from_entries(entries[:6], "cmp_a", "EUR", s.period_from, s.period_to), s)
    assert problems and "closing" in " ".join(problems)
