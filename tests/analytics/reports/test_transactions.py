"""The transactions report against a real (embedded) ClickHouse: filters, latest state,
sorting, keyset pagination, totals, and SQL-looking values that are only values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.filters import TransactionFilter
from analytics.reports.transactions import (
    ClickHouseTransactions, Sort, SortField, TransactionKey, decode_key, encode_key,
)  # fmt: skip
from domain.errors import InvalidCursor
from tests.analytics.reports.rows import insert_orders, order
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


M = timedelta(minutes=1)


def _dataset() -> list[dict]:
    rows = [order(n) for n in range(12)]
    rows[1].update(status="failed", provider="bank_b")
    rows[2].update(company_id="cmp_b", currency="USD", product_id="card-transfer-usd")
    rows[3].update(product_type="gift_certificate", product_id="gift-eur", provider="giftco", card_last4="")
    rows[4].update(amount_value=50_000, end_user_id="user-vip", sandbox=0)
    rows[5].update(status="in_review", card_last4="4242")
    rows[6].update(company_id="cmp_b", status="declined")
    return rows


@pytest.fixture
async def reports(clickhouse: ClickHouse) -> ClickHouseTransactions:
    migrate(clickhouse)
    rows = _dataset()
    await insert_orders(clickhouse, rows)
    # A stale version of order 0 in its own part (what the sink wrote before the newer one).
    await insert_orders(clickhouse, [order(0, status="approved", version=0, amount_value=1)])
    return ClickHouseTransactions(clickhouse)


def _ids(*numbers: int) -> list[str]:
    return [f"ord_{n:032x}" for n in numbers]


CASES = [
    ("everything", TransactionFilter(), list(range(12))),
    ("company", TransactionFilter(company_ids=("cmp_b",)), [2, 6]),
    ("companies", TransactionFilter(company_ids=("cmp_a", "cmp_b")), list(range(12))),
    ("status", TransactionFilter(statuses=("failed", "in_review")), [1, 5]),
    ("product type", TransactionFilter(product_types=("gift_certificate",)), [3]),
    ("product id", TransactionFilter(product_ids=("card-transfer-usd",)), [2]),
    ("provider", TransactionFilter(providers=("bank_b", "giftco")), [1, 3]),
    ("currency", TransactionFilter(currency="USD"), [2]),
    ("created range", TransactionFilter(created_from=T0 + 3 * M, created_to=T0 + 6 * M), [3, 4, 5]),
    ("amount range", TransactionFilter(amount_min=1008, amount_max=1010), [8, 9, 10]),
    ("amount min", TransactionFilter(amount_min=10_000), [4]),
    ("end user", TransactionFilter(end_user_id="user-vip"), [4]),
    ("card last 4", TransactionFilter(card_last4="4242"), [5]),
    ("external id", TransactionFilter(external_id="ext-7"), [7]),
    ("live only", TransactionFilter(sandbox=False), [4]),
    ("combined", TransactionFilter(company_ids=("cmp_a",), statuses=("completed",), end_user_id="user-1",
                                   created_from=T0), [7, 10]),
    ("stale status", TransactionFilter(statuses=("approved",)), []),
    # One company and an amount range: from the projection sorted by amount (amount_orders).
    ("company amount range", TransactionFilter(company_ids=("cmp_a",), amount_min=1000, amount_max=1003), [0, 1, 3]),
    ("company amount, status", TransactionFilter(company_ids=("cmp_a",), amount_max=1005, statuses=("failed",)), [1]),
    ("company amount, stale", TransactionFilter(company_ids=("cmp_a",), amount_min=1, statuses=("approved",)), []),
    ("no match", TransactionFilter(company_ids=("cmp_zzz",)), []),
]  # fmt: skip


@pytest.mark.parametrize(("name", "f", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_filters(reports: ClickHouseTransactions, name: str, f: TransactionFilter, expected: list[int]) -> None:
    page = await reports.page(f, Sort(SortField.CREATED_AT, descending=False), limit=500)
    assert [t.order_id for t in page.items] == _ids(*expected)
    assert page.next_key is None
    totals = await reports.totals(f)
    assert totals.count == len(expected)


async def test_latest_version_only(reports: ClickHouseTransactions) -> None:
    page = await reports.page(TransactionFilter(external_id="ext-0"))
    assert len(page.items) == 1
    assert (page.items[0].status, page.items[0].version, page.items[0].amount_value) == ("completed", 1, 1000)


async def test_totals_per_currency(reports: ClickHouseTransactions) -> None:
    totals = await reports.totals(TransactionFilter())
    by = {c.currency: c for c in totals.currencies}
    assert totals.count == 12 and set(by) == {"EUR", "USD"}
    eur_amounts = [1000 + n for n in range(12) if n != 2]
    eur_amounts[3] = 50_000  # order 4 (index 3 once order 2 is left out)
    assert (by["USD"].count, by["USD"].amount, by["USD"].fee) == (1, 1002, 10)
    assert (by["EUR"].count, by["EUR"].amount, by["EUR"].fee) == (11, sum(eur_amounts), 110)


@pytest.mark.parametrize("sort", [Sort(f, d) for f in SortField for d in (True, False)], ids=lambda s: s.name)
async def test_pages_return_every_row_once_in_order(reports: ClickHouseTransactions, sort: Sort) -> None:
    seen, after, pages = [], None, 0
    while True:
        cursor = encode_key(sort, after)
        page = await reports.page(TransactionFilter(), sort, None if cursor is None else decode_key(sort, cursor), 5)
        seen.extend(page.items)
        pages += 1
        if page.next_key is None:
            break
        after = page.next_key
    assert pages == 3 and len(seen) == 12 and len({t.order_id for t in seen}) == 12
    full = await reports.page(TransactionFilter(), sort, limit=500)
    assert [t.order_id for t in seen] == [t.order_id for t in full.items]
    keys = [(t.created_at if sort.field is SortField.CREATED_AT else t.amount_value, t.order_id) for t in seen]
    assert keys == sorted(keys, reverse=sort.descending)


async def test_ties_on_the_sort_value_break_by_order_id(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    await insert_orders(clickhouse, [order(n, amount_value=500) for n in range(7)])
    reports, sort = ClickHouseTransactions(clickhouse), Sort(SortField.AMOUNT, descending=True)
    first = await reports.page(TransactionFilter(), sort, limit=4)
    assert first.next_key == TransactionKey(500, _ids(3)[0])
    rest = await reports.page(TransactionFilter(), sort, first.next_key, limit=4)
    assert [t.order_id for t in first.items + rest.items] == _ids(6, 5, 4, 3, 2, 1, 0)


async def test_snapshots_page_for_the_partner_list(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    await insert_orders(clickhouse, [order(n, snapshot=f'{{"n": {n}}}') for n in range(3)])
    snapshots, after = await ClickHouseTransactions(clickhouse).snapshots(TransactionFilter(), limit=2)
    assert snapshots == ['{"n": 2}', '{"n": 1}'] and after == TransactionKey(T0 + M, _ids(1)[0])


INJECTIONS = [
    "x' OR 1=1 --", "\\'; DROP TABLE orders; --", "') OR ('1'='1", "{company_ids:String}",
    "ünïcødé ✓ 💸", "a" * 10_000, "\x00", "%", "_", "cmp_a' UNION SELECT * FROM system.tables --",
]  # fmt: skip


@pytest.mark.parametrize("value", INJECTIONS, ids=range(len(INJECTIONS)))
async def test_sql_looking_values_are_just_values(
    reports: ClickHouseTransactions, clickhouse: ClickHouse, value: str
) -> None:
    filters = [
        TransactionFilter(company_ids=(value,)), TransactionFilter(statuses=(value,)),
        TransactionFilter(product_types=(value,), providers=(value,)), TransactionFilter(currency=value),
        TransactionFilter(end_user_id=value), TransactionFilter(card_last4=value),
        TransactionFilter(external_id=value), TransactionFilter(product_ids=(value, "x")),
        TransactionFilter(company_ids=(value,), amount_min=0), TransactionFilter(company_ids=("cmp_a",), amount_max=10**9,
                                                                                  statuses=(value,), providers=(value,)),
    ]  # fmt: skip
    for f in filters:
        assert (await reports.page(f)).items == []
        assert (await reports.totals(f)).count == 0
    page = await reports.page(TransactionFilter(), Sort(), TransactionKey(T0 + 100 * M, value), 500)
    assert len(page.items) == 12  # the id only breaks ties
    assert (await reports.totals(TransactionFilter())).count == 12  # the table is intact


def test_a_cursor_is_bound_to_its_sort_and_refuses_edits() -> None:
    sort = Sort(SortField.AMOUNT, descending=False)
    token = encode_key(sort, TransactionKey(1500, "ord_1"))
    assert token is not None and decode_key(sort, token) == TransactionKey(1500, "ord_1")
    with pytest.raises(InvalidCursor):
        decode_key(Sort(SortField.AMOUNT, descending=True), token)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, token[:-2], "", "!!!", "x" * 2000, "eyJrIjoxfQ"):
        with pytest.raises(InvalidCursor):
            decode_key(sort, bad)


async def test_prewhere_filters_never_resurrect_a_stale_version(clickhouse: ClickHouse) -> None:
    """Fixed-column filters run as PREWHERE, before FINAL merges versions; status and provider
    change between versions, so they must still see only the latest one. Stale rows sit in
    their own parts, and in two months (FINAL merges within a partition only)."""
    migrate(clickhouse)
    latest = [order(0), order(1, created_at=T0 - timedelta(days=40), status="failed")]
    stale = [order(n, status="approved", provider="", version=0, created_at=r["created_at"])
             for n, r in enumerate(latest)]  # fmt: skip
    await insert_orders(clickhouse, stale)
    await insert_orders(clickhouse, latest)
    reports = ClickHouseTransactions(clickhouse)
    fixed = {"company_ids": ("cmp_a",), "created_from": T0 - timedelta(days=60), "created_to": T0 + M,
             "amount_min": 1000, "sandbox": True}  # fmt: skip
    cases = [
        (TransactionFilter(**fixed), [1, 0]),
        (TransactionFilter(**fixed, statuses=("approved",)), []),
        (TransactionFilter(**fixed, statuses=("completed",)), [0]),
        (TransactionFilter(**fixed, providers=("",)), []),
        (TransactionFilter(**fixed, providers=("bank_a",), statuses=("failed",)), [1]),
        (TransactionFilter(company_ids=("cmp_a",), card_last4="1111", statuses=("approved",)), []),
    ]
    for f, expected in cases:
        page = await reports.page(f, Sort(SortField.CREATED_AT, descending=False), limit=500)
        assert [t.order_id for t in page.items] == _ids(*expected), f
        assert all(t.version == 1 for t in page.items)
        assert (await reports.totals(f)).count == len(expected), f
    # The keyset also runs before FINAL: page 2 must not find order 0's stale row either.
    sort = Sort(SortField.CREATED_AT, descending=True)
    first = await reports.page(TransactionFilter(**fixed), sort, limit=1)
    rest = await reports.page(TransactionFilter(**fixed), sort, first.next_key, limit=1)
    assert [t.status for t in first.items + rest.items] == ["completed", "failed"] and rest.next_key is None
