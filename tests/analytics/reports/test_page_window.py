"""Two-step pages (candidates without FINAL, then FINAL over their window) must equal the
one-step FINAL query, page after page: on many versions per order where stale versions match
the filter (so the window must grow, and sometimes fall back), ties on the sort value, both
tables (one company pinned, or the time-sorted copy) and both sort columns."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports import amount_orders, page_window
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, final_clause
from analytics.reports.order_sums import order_sums
from analytics.reports.transactions import (
    TRANSACTION_COLUMNS,
    ClickHouseTransactions,
    Sort,
    SortField,
    transaction_from_row,
)
from tests.analytics.before_migration import migrate_before
from tests.analytics.reports.rows import insert_orders, order
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


STATUSES = ("approved", "reserved", "completed", "failed", "in_review")


async def _dataset(ch: ClickHouse, days: int = 3) -> None:
    """`days`: the span of created_at from T0 - days + 3 (over 40: several monthly partitions)."""
    rnd = random.Random(7)
    batches: list[list[dict]] = [[], [], []]
    for n in range(400):
        company = "cmp_a" if n % 3 else "cmp_b"
        offset = rnd.randrange(0, days * 24 * 3600) // 60 * 60  # many ties
        created = T0 + timedelta(days=3 - days, seconds=offset)
        fixed = {"company_id": company, "created_at": created, "amount_value": rnd.choice((500, 1000, 2500)),
                 "card_last4": rnd.choice(("1111", "4242")), "end_user_id": f"user-{n % 7}"}  # fmt: skip
        versions = rnd.randint(1, 4)
        for v in range(versions):
            # Most stale versions say "approved": a filter on it finds mostly stale candidates.
            status = "approved" if v < versions - 1 else rnd.choice(STATUSES)
            row = order(n, **fixed, status=status, version=v + 1, provider=rnd.choice(("bank_a", "bank_b")))
            batches[rnd.randrange(3)].append(row)  # versions spread over parts, unmerged
    for batch in batches:
        await insert_orders(ch, batch)
    await insert_orders(ch, batches[0][:50])  # a replay: identical rows again


async def _oracle(ch: ClickHouse, f: TransactionFilter, sort: Sort, columns: str = "order_id") -> list:
    column = "created_at" if sort.field is SortField.CREATED_AT else "amount_value"
    direction = "DESC" if sort.descending else "ASC"
    where = final_clause(f)
    rows = await ch.query(
        f"SELECT {columns} FROM {ch.table('orders')} FINAL {where.sql} "
        f"ORDER BY {column} {direction}, order_id {direction}",
        where.parameters,
        FINAL_SETTINGS,
    )
    return [r[0] for r in rows] if columns == "order_id" else rows


FILTERS = [
    TransactionFilter(),
    TransactionFilter(company_ids=("cmp_a",)),
    TransactionFilter(company_ids=("cmp_a",), statuses=("approved",)),  # mostly stale matches
    TransactionFilter(statuses=("approved",)),
    TransactionFilter(company_ids=("cmp_b",), statuses=("completed", "failed")),
    TransactionFilter(company_ids=("cmp_a",), card_last4="4242"),  # from the projection (card_orders)
    TransactionFilter(company_ids=("cmp_a",), card_last4="1111", statuses=("approved",)),  # mostly stale
    TransactionFilter(company_ids=("cmp_b",), card_last4="4242", providers=("bank_b",), amount_min=1000,
                      created_from=T0 + timedelta(hours=12)),
    TransactionFilter(card_last4="1111", providers=("bank_b",)),
    TransactionFilter(company_ids=("cmp_a", "cmp_b"), amount_min=1000, end_user_id="user-3"),
    TransactionFilter(created_from=T0 + timedelta(days=1), created_to=T0 + timedelta(days=2)),
    TransactionFilter(company_ids=("cmp_zzz",)),
]
SORTS = [Sort(field, descending) for field in SortField for descending in (True, False)]


async def _all_pages(reports: ClickHouseTransactions, f: TransactionFilter, sort: Sort, limit: int) -> list:
    seen, key = [], None
    while True:
        page = await reports.page(f, sort, key, limit=limit)
        seen += page.items
        if page.next_key is None:
            return seen
        assert len(page.items) == limit  # only the last page may be short
        key = page.next_key


async def test_pages_equal_the_one_step_final_query(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    await _dataset(clickhouse)
    reports = ClickHouseTransactions(clickhouse)
    for f, sort, limit in itertools.product(FILTERS, SORTS, (23,)):
        expected = await _oracle(clickhouse, f, sort)
        seen = [t.order_id for t in await _all_pages(reports, f, sort, limit)]
        assert seen == expected, (f, sort, limit)


MONTH = datetime(2026, 11, 1, tzinfo=UTC)  # a partition boundary inside the spread dataset


async def test_pages_across_monthly_partitions_equal_the_one_step_final_query(clickhouse: ClickHouse) -> None:
    """Descending time pages read this month's candidates first, older months only when it
    holds too few (page_window._month_split): orders over ~3 months, ranges ending at, before
    and after a month's first instant, sparse filters whose page needs both months."""
    migrate(clickhouse)
    await _dataset(clickhouse, days=80)
    reports = ClickHouseTransactions(clickhouse)
    extra = [
        TransactionFilter(company_ids=("cmp_a",), created_to=MONTH),
        TransactionFilter(company_ids=("cmp_a",), created_to=MONTH + timedelta(milliseconds=1)),
        TransactionFilter(company_ids=("cmp_b",), created_from=MONTH - timedelta(days=3), created_to=MONTH),
        TransactionFilter(created_from=MONTH - timedelta(days=20), created_to=MONTH + timedelta(days=2)),
        TransactionFilter(company_ids=("cmp_a",), amount_min=2500, statuses=("failed", "in_review")),
        TransactionFilter(company_ids=("cmp_a",), created_from=MONTH, statuses=("completed",)),
        TransactionFilter(company_ids=("cmp_a",), created_to=T0 - timedelta(days=200)),  # nothing
    ]
    for f, sort, limit in itertools.product(FILTERS + extra, SORTS, (7, 40)):
        expected = await _oracle(clickhouse, f, sort)
        seen = [t.order_id for t in await _all_pages(reports, f, sort, limit)]
        assert seen == expected, (f, sort, limit)


async def test_card_pages_hold_each_orders_latest_row(clickhouse: ClickHouse) -> None:
    """A company's card pages come from the projection grouped by order (card_orders): every
    column of every row equals the latest version's, replays and stale versions included; the
    partner list's stored JSON (not in the projection) is read back by (order, version)."""
    migrate(clickhouse)
    await _dataset(clickhouse, days=80)
    # The stored JSON says which version it is: a stale or replayed one would show.
    await insert_orders(clickhouse, [order(9000, company_id="cmp_a", card_last4="4242", version=v,
                                           status="completed" if v == 3 else "approved",
                                           order_id="ord_card", snapshot=f"v{v}", fee_value=v,
                                           updated_at=T0 + timedelta(hours=v)) for v in (1, 3, 2, 3)])  # fmt: skip
    reports = ClickHouseTransactions(clickhouse)
    for f in (TransactionFilter(company_ids=("cmp_a",), card_last4="4242"),
              TransactionFilter(company_ids=("cmp_b",), card_last4="1111", statuses=("completed", "failed")),
              TransactionFilter(company_ids=("cmp_a",), card_last4="4242", providers=("bank_a",), amount_min=1000)):
        for sort in SORTS:
            expected = await _oracle(clickhouse, f, sort, TRANSACTION_COLUMNS)
            assert [transaction_from_row(r) for r in expected] == await _all_pages(reports, f, sort, 9), (f, sort)
            snapshots, key = [], None
            while True:
                page, key = await reports.snapshots(f, sort, key, limit=9)
                snapshots += page
                if key is None:
                    break
            assert snapshots == [r[0] for r in await _oracle(clickhouse, f, sort, "snapshot")], (f, sort)
    card = await reports.page(TransactionFilter(company_ids=("cmp_a",), card_last4="4242"), limit=500)
    assert [t.version for t in card.items if t.order_id == "ord_card"] == [3]


AMOUNT_FILTERS = [
    TransactionFilter(company_ids=("cmp_a",), amount_min=1000, amount_max=1000),
    TransactionFilter(company_ids=("cmp_a",), amount_min=1000),
    TransactionFilter(company_ids=("cmp_b",), amount_max=2500, statuses=("approved",)),  # mostly stale
    TransactionFilter(company_ids=("cmp_a",), amount_min=2500, providers=("bank_b",), statuses=("completed", "failed"),
                      created_from=MONTH - timedelta(days=10)),
    TransactionFilter(company_ids=("cmp_b",), amount_min=2501),  # nothing
    TransactionFilter(company_ids=("cmp_a",), amount_min=500, amount_max=500, statuses=("in_review",)),
]  # fmt: skip


async def test_amount_range_pages_equal_the_one_step_final_query_read_whole_or_capped(
    clickhouse: ClickHouse,
) -> None:
    """One company's amount range: grouped from the projection sorted by amount when at most
    `cap` rows match (amount_orders), by the two steps otherwise; replays and stale versions in
    the data, every sort, pages of 7 and 40, totals too."""
    migrate(clickhouse)
    await _dataset(clickhouse, days=80)
    for cap in (amount_orders.CAP, 30):  # 30: some filters match more rows, some fewer
        reports = ClickHouseTransactions(clickhouse, amount_cap=cap)
        for f, sort, limit in itertools.product(AMOUNT_FILTERS, SORTS, (7, 40)):
            expected = await _oracle(clickhouse, f, sort, TRANSACTION_COLUMNS)
            assert await _all_pages(reports, f, sort, limit) == [transaction_from_row(r) for r in expected], (cap, f)
        for f in AMOUNT_FILTERS:
            capped = await amount_orders.totals(clickhouse, f, cap)
            assert capped is None or capped == await order_sums(clickhouse, (), f, live=True), (cap, f)


async def test_an_amount_page_is_one_grouped_read_unless_too_many_rows_match(clickhouse: ClickHouse) -> None:
    """Sparse (this month's candidates do not fill the round): this month's candidates, then
    the grouped read; over the cap, the two steps with FINAL answer, the same rows."""
    migrate(clickhouse)
    # Each version in its own insert (one insert keeps only the latest of a key): 10 rows.
    for version, status in ((1, "approved"), (2, "completed")):
        await insert_orders(clickhouse, [order(n, amount_value=1000, status=status, version=version) for n in range(5)])
    await insert_orders(clickhouse, [order(n, amount_value=2000) for n in range(5, 40)])
    f = TransactionFilter(company_ids=("cmp_a",), amount_max=1000)
    spec = page_window.PageSpec(TRANSACTION_COLUMNS, "created_at", "DateTime64(3, 'UTC')", True, None, 11)
    whole, capped = _RecordingClickHouse(clickhouse), _RecordingClickHouse(clickhouse)
    rows = await page_window.PageReader(whole).rows(f, spec)  # type: ignore[arg-type]
    assert [r[0] for r in rows] == [f"ord_{n:032x}" for n in (4, 3, 2, 1, 0)] and {r[8] for r in rows} == {"completed"}
    assert len(whole.sql) == 2 and not any("FINAL" in s for s in whole.sql)  # candidates, the grouped read
    assert await page_window.PageReader(capped, amount_cap=5).rows(f, spec) == rows  # type: ignore[arg-type]
    assert any("FINAL" in s for s in capped.sql)  # 10 rows match: the two steps answered


class _RecordingClickHouse:
    """The real ClickHouse, remembering the SQL it was asked to run."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse
        self.sql: list[str] = []

    def table(self, name: str) -> str:
        return self._ch.table(name)

    async def query(self, sql: str, parameters: dict, settings: dict | None = None) -> list[tuple]:
        self.sql.append(sql)
        return await self._ch.query(sql, parameters, settings)


async def test_too_many_stale_candidates_fall_back_to_the_one_step_query(clickhouse: ClickHouse) -> None:
    """60 orders whose older versions matched "approved": every round of candidates holds only
    stale matches, so after ROUNDS rounds the unwindowed query answers (still exact)."""
    migrate(clickhouse)
    await insert_orders(clickhouse, [order(n, status="approved", version=1) for n in range(60)])
    await insert_orders(clickhouse, [order(n, status="completed", version=2) for n in range(60)])
    await insert_orders(clickhouse, [order(100, status="approved", created_at=T0 - timedelta(days=1))])
    f = TransactionFilter(company_ids=("cmp_a",), statuses=("approved",))
    recording = _RecordingClickHouse(clickhouse)
    spec = page_window.PageSpec("order_id", "created_at", "DateTime64(3, 'UTC')", True, None, 2)
    rows = await page_window.PageReader(recording).rows(f, spec)  # type: ignore[arg-type]
    assert rows == [(f"ord_{100:032x}",)]
    windows = [s for s in recording.sql if "FINAL" in s]
    assert len(windows) == page_window.ROUNDS + 1
    assert all("through_v" in s for s in windows[:-1]) and "through_v" not in windows[-1]


async def test_versions_repeating_candidates_are_read_further_not_windowed_twice(clickhouse: ClickHouse) -> None:
    """The newest minutes hold several rows per order (each state change a version, and replays)
    until merges drop them: candidates are the first n distinct orders, so one window answers."""
    migrate(clickhouse)
    rows = [order(n, created_at=T0 - timedelta(minutes=n)) for n in range(60)]
    for _ in range(3):  # every order's row three times (versions not merged yet)
        await insert_orders(clickhouse, rows)
    f = TransactionFilter(company_ids=("cmp_a",), statuses=("completed",))
    recording = _RecordingClickHouse(clickhouse)
    spec = page_window.PageSpec("order_id", "created_at", "DateTime64(3, 'UTC')", True, None, 11)
    page = await page_window.PageReader(recording).rows(f, spec)  # type: ignore[arg-type]
    assert page == [(f"ord_{n:032x}",) for n in range(11)]
    assert len([s for s in recording.sql if "FINAL" in s]) == 1
    assert len([s for s in recording.sql if "FINAL" not in s]) == 2  # 14 rows (5 orders), then 42 (14)


def test_the_table_follows_the_filter() -> None:
    assert page_window.table_for(TransactionFilter(company_ids=("cmp_a",)), "order_id") == "orders"
    assert page_window.table_for(TransactionFilter(), "order_id") == "orders_by_time"
    assert page_window.table_for(TransactionFilter(company_ids=("a", "b")), "order_id") == "orders_by_time"
    assert page_window.table_for(TransactionFilter(), "snapshot, order_id") == "orders"


async def test_orders_stored_before_migration_0016_are_in_its_projections(
    fresh_clickhouse: ClickHouse, tmp_path: Path
) -> None:
    """0016 MATERIALIZEs its projections on existing parts: card and amount pages and totals over
    orders stored before it (and orders stored after it, in new parts) equal the FINAL query."""
    clickhouse = fresh_clickhouse  # migrated step by step, not the module's migrated database
    migrate_before(clickhouse, 16, tmp_path / "migrations")
    await _dataset(clickhouse, days=80)
    migrate(clickhouse)
    for version, status in ((1, "approved"), (2, "failed")):  # orders after it: new parts
        await insert_orders(clickhouse, [order(n, status=status, version=version, amount_value=1000, card_last4="4242")
                                         for n in range(1000, 1030)])  # fmt: skip
    # Every active part has both projections (system.projection_parts also lists, as active, the
    # projections of parts a merge has just replaced, so its counts are not the parts' counts).
    parts = await clickhouse.query(
        "SELECT name, arraySort(projections) FROM system.parts WHERE database = {db:String} "
        "AND table = 'orders' AND active", {"db": clickhouse.database}
    )
    assert parts and all(names == ["by_amount_compact", "by_card_last4_compact"] for _, names in parts), parts
    reports = ClickHouseTransactions(clickhouse)
    for f in (TransactionFilter(company_ids=("cmp_a",), card_last4="4242"),
              TransactionFilter(company_ids=("cmp_a",), amount_min=1000, amount_max=1000, statuses=("failed",))):
        for sort in SORTS:
            expected = await _oracle(clickhouse, f, sort, TRANSACTION_COLUMNS)
            assert await _all_pages(reports, f, sort, 9) == [transaction_from_row(r) for r in expected], (f, sort)
        assert await order_sums(clickhouse, (), f) == await order_sums(clickhouse, (), f, live=True)
