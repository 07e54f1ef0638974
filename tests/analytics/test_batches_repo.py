"""Batch reads against the embedded ClickHouse: headers (latest version, keyset pages), the
tallies of a batch's orders at their latest state (whichever sink path stored them, replays
included), its lines in line order, and hostile values that stay plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from analytics.batch_rows import BATCH_COLUMNS, REJECTED_LINE_COLUMNS, batch_row, rejected_line_row
from analytics.batches_repo import ClickHouseBatches
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.order_json_rows import ORDER_EVENT_FROM_JSON
from analytics.rows import ORDER_COLUMNS, order_row
from domain.batches import BatchFormat, BatchHeader, LineError, RejectedLine
from domain.events import events_for
from domain.money import Money
from domain.orders import BatchLineRef, EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from streams import messages
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


HOSTILE = ["x' OR 1=1 --", "bat_1'; DROP TABLE batches; --", "{batch_id:String}", "\\'"]


def _header(n: int, company: str = "cmp_a", **changes: object) -> BatchHeader:
    header = BatchHeader(f"bat_{n}", company, f"k-{n}", "h", BatchFormat.CSV, f"ref-{n}", True, f"req-{n}",
                         T0 + timedelta(minutes=n), 5, 4, 1)  # fmt: skip
    return replace(header, **changes)


def _order(line: int, *statuses: str, batch: str = "bat_1", company: str = "cmp_a", amount: int = 1000) -> Order:
    history = tuple(StatusChange(OrderStatus(s), s, T0 + timedelta(seconds=i)) for i, s in enumerate(("received", *statuses)))
    return Order(
        f"ord_{batch}_{line}", company, f"batch:{batch}:{line}", "card-transfer-eur", Money(amount, "EUR"),
        Recipient(RecipientKind.PHONE, phone="+4915112345678"), EndUser(f"u-{line}"), T0, history,
        external_id=f"e-{line}", fee=35, batch=BatchLineRef(batch, line),
    )  # fmt: skip


async def _stored(ch: ClickHouse) -> ClickHouseBatches:
    migrate(ch)
    submitted = _header(1, submitted_at=T0 + timedelta(minutes=5))
    await ch.insert("batches", [batch_row(h) for h in (_header(1), _header(2), _header(3, "cmp_b"))], BATCH_COLUMNS)
    await ch.insert("batches", [batch_row(submitted)], BATCH_COLUMNS)
    await ch.insert("batches", [batch_row(_header(1))], BATCH_COLUMNS)  # a replayed version 1
    rejected = RejectedLine("bat_1", "cmp_a", 2, None, (LineError("amount", "invalid", "too many decimals"),), T0)
    await ch.insert("batch_rejected_lines", [rejected_line_row(rejected)] * 2, REJECTED_LINE_COLUMNS)
    # Line 1 completes (its versions through the decode path), line 3 stops at dispatched, line 4
    # fails (through the SQL fast path, as the sink stores most batches), line 5 not seen yet.
    one = _order(1, "approved", "reserved", "dispatched", "completed")
    await ch.insert("orders", [order_row(e.order) for e in events_for(one)], ORDER_COLUMNS)
    await ch.insert("orders", [order_row(_order(3, "approved", "reserved", "dispatched"))], ORDER_COLUMNS)
    failed = _order(4, "approved", "reserved", "failed", amount=2000)
    ch.insert_from_json_sync([messages.encode_order_event(e) for e in events_for(failed)], ORDER_EVENT_FROM_JSON)
    await ch.insert("orders", [order_row(_order(1, "approved", batch="bat_2"))], ORDER_COLUMNS)  # another batch
    await ch.insert("orders", [order_row(replace(_order(9, "approved"), batch=None))], ORDER_COLUMNS)  # no batch
    return ClickHouseBatches(ch)


async def test_headers_latest_version_own_company_and_keyset_pages(clickhouse: ClickHouse) -> None:
    batches = await _stored(clickhouse)
    found = await batches.header("cmp_a", "bat_1")
    assert found is not None and found.submitted_at == T0 + timedelta(minutes=5) and found.version == 2
    assert found.reference == "ref-1" and found.format is BatchFormat.CSV and found.created_at == T0 + timedelta(minutes=1)
    assert await batches.header("cmp_b", "bat_1") is None  # another company's
    assert (await batches.header(None, "bat_3")) is not None  # staff: any company
    assert [h.id for h in await batches.headers("cmp_a", None, 10)] == ["bat_2", "bat_1"]
    assert [h.id for h in await batches.headers(None, None, 10)] == ["bat_3", "bat_2", "bat_1"]
    after = await batches.headers(None, (T0 + timedelta(minutes=2), "bat_2"), 10)
    assert [h.id for h in after] == ["bat_1"] and after[0].version == 2


async def test_tallies_count_each_order_once_at_its_latest_state(clickhouse: ClickHouse) -> None:
    batches = await _stored(clickhouse)
    found = await batches.tallies([("cmp_a", "bat_1"), ("cmp_a", "bat_2"), ("cmp_a", "bat_9")])
    tallies = {(t.status, t.currency): (t.count, t.amount, t.fee) for t in found["bat_1"]}
    assert tallies == {("completed", "EUR"): (1, 1000, 35), ("dispatched", "EUR"): (1, 1000, 35),
                       ("failed", "EUR"): (1, 2000, 35)}  # fmt: skip
    assert [(t.status, t.count) for t in found["bat_2"]] == [("approved", 1)] and found["bat_9"] == []
    assert await batches.tallies([("cmp_b", "bat_1")]) == {"bat_1": []}  # another company's orders
    assert await batches.tallies([]) == {}


async def test_lines_in_line_order_by_status_and_range(clickhouse: ClickHouse) -> None:
    batches = await _stored(clickhouse)
    lines = await batches.order_lines("cmp_a", "bat_1", 1, 5, None, 10)
    assert [(x.line, x.status, x.external_id) for x in lines] == [(1, "completed", "e-1"), (3, "dispatched", "e-3"), (4, "failed", "e-4")]
    assert lines[0].order_id == "ord_bat_1_1" and lines[0].amount == Money(1000, "EUR") and lines[0].reason == "completed"
    assert [x.line for x in await batches.order_lines("cmp_a", "bat_1", 2, 5, None, 1)] == [3]
    assert [x.line for x in await batches.order_lines("cmp_a", "bat_1", 1, 5, "failed", 10)] == [4]
    [rejected] = await batches.rejected_lines("cmp_a", "bat_1", 1, 5, 10)
    assert (rejected.line, rejected.status, rejected.errors) == (2, "rejected_line", (LineError("amount", "invalid", "too many decimals"),))
    assert await batches.rejected_lines("cmp_a", "bat_1", 3, 5, 10) == []


async def test_hostile_ids_are_plain_values(clickhouse: ClickHouse) -> None:
    batches = await _stored(clickhouse)
    for value in HOSTILE:
        assert await batches.header(value, value) is None and await batches.tallies([(value, value)]) == {value: []}
        assert await batches.order_lines(value, value, 1, 10, value, 10) == []
        assert await batches.rejected_lines(value, value, 1, 10, 10) == []
    assert len(await batches.headers(None, None, 10)) == 3  # nothing dropped
