"""Transaction exports from a migrated ClickHouse: exact values, formula-safe text, FINAL
semantics, keyset chunks, and memory that does not grow with the number of rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.export_output import ExportFormat, csv_stream, write_export
from analytics.reports.export_rows import EXPORT_COLUMNS, ClickHouseExportRows
from analytics.reports.filters import TransactionFilter
from domain.money import decimal_string
from tests.analytics.reports.rows import insert_orders, order
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


NASTY = {
    1: "=HYPERLINK(\"http://evil.test\",\"x\")",
    2: "+1 (555) 0100",
    3: "-2+3",
    4: "@SUM(A1)",
    5: "\tindented",
    6: "<r><t>raw xml</t></r>",
}


def _orders() -> list[dict]:
    rows = [
        order(0, amount_value=1050, fee_value=25, currency="EUR", status_reason="a, \"quoted\"\nline"),
        order(1, amount_value=1050, fee_value=0, currency="JPY", company_id="cmp_b", end_user_id=NASTY[1]),
        order(2, amount_value=5, fee_value=1, currency="KWD", external_id=NASTY[2], end_user_id="Zoë 東京"),
        order(3, status_reason=NASTY[3], card_last4="4242"),
        order(4, external_id=NASTY[4]),
        order(5, end_user_id=NASTY[5]),
        order(6, external_id=NASTY[6]),
    ]
    # Same created_at for three orders: the keyset must break the tie by order id.
    for n in (7, 8, 9):
        rows.append(order(n, created_at=T0 + timedelta(hours=1), updated_at=T0 + timedelta(hours=1)))
    return rows


async def _stored(ch: ClickHouse) -> None:
    migrate(ch)
    await insert_orders(ch, _orders())
    # Order 0 moved on: version 2 is its latest state; the replayed version 1 must not show.
    await insert_orders(ch, [order(0, amount_value=1050, fee_value=25, status="approved", version=1)])
    await insert_orders(ch, [order(0, amount_value=1050, fee_value=25, status="failed", version=2,
                                   status_reason="a, \"quoted\"\nline",
                                   updated_at=T0 + timedelta(minutes=5))])  # fmt: skip


async def _csv(rows: ClickHouseExportRows, f: TransactionFilter) -> list[list[str]]:
    body = b"".join([b async for b in csv_stream(rows, f)])
    assert b"\r\n" in body
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


async def test_csv_export_is_exact_formula_safe_and_latest_state(clickhouse: ClickHouse) -> None:
    await _stored(clickhouse)
    rows = ClickHouseExportRows(clickhouse, chunk_rows=2)  # many chunks, ties across a boundary
    table = await _csv(rows, TransactionFilter())
    assert table[0] == list(EXPORT_COLUMNS)
    body = table[1:]
    assert len(body) == 10 == await rows.count(TransactionFilter())
    ids = [r[0] for r in body]
    assert len(set(ids)) == 10
    by_id = {r[0]: dict(zip(EXPORT_COLUMNS, r, strict=True)) for r in body}

    first = by_id[f"ord_{0:032x}"]
    assert first["status"] == "failed" and first["amount"] == "10.50" and first["fee"] == "0.25"
    assert first["status_reason"] == "a, \"quoted\"\nline"
    assert first["created_at"] == "2026-11-26T12:00:00.123Z"
    assert first["updated_at"] == "2026-11-26T12:05:00.123Z"
    jpy, kwd = by_id[f"ord_{1:032x}"], by_id[f"ord_{2:032x}"]
    assert (jpy["amount"], jpy["fee"], jpy["currency"], jpy["company_id"]) == ("1050", "0", "JPY", "cmp_b")
    assert (kwd["amount"], kwd["fee"], kwd["end_user_id"]) == ("0.005", "0.001", "Zoë 東京")
    assert by_id[f"ord_{3:032x}"]["card_last4"] == "4242"

    # Text a spreadsheet would evaluate starts with a quote; nothing else is touched.
    assert jpy["end_user_id"] == "'" + NASTY[1]
    assert kwd["external_id"] == "'" + NASTY[2]
    assert by_id[f"ord_{3:032x}"]["status_reason"] == "'" + NASTY[3]
    assert by_id[f"ord_{4:032x}"]["external_id"] == "'" + NASTY[4]
    assert by_id[f"ord_{5:032x}"]["end_user_id"] == "'" + NASTY[5]
    assert by_id[f"ord_{6:032x}"]["external_id"] == NASTY[6]

    # Sort-key order: company, then time, then order id.
    keys = [(r[1], r[2], r[0]) for r in body]
    assert keys == sorted(keys)
    # ClickHouse's CSV says exactly what the row tuples (the XLSX path) say.
    assert body == [list(r) async for chunk in rows.chunks(TransactionFilter()) for r in chunk]
    assert [n async for n, _ in rows.csv_chunks(TransactionFilter())] == [2, 2, 2, 2, 2]


async def test_filters_apply_to_the_latest_version_only(clickhouse: ClickHouse) -> None:
    await _stored(clickhouse)
    rows = ClickHouseExportRows(clickhouse, chunk_rows=3)
    assert await _csv(rows, TransactionFilter(statuses=("approved",))) == [list(EXPORT_COLUMNS)]
    failed = await _csv(rows, TransactionFilter(statuses=("failed",)))
    assert [r[0] for r in failed[1:]] == [f"ord_{0:032x}"]
    b = await _csv(rows, TransactionFilter(company_ids=("cmp_b",), currency="JPY"))
    assert [r[0] for r in b[1:]] == [f"ord_{1:032x}"]
    sneaky = TransactionFilter(external_id="x' OR 1=1 --")
    assert await _csv(rows, sneaky) == [list(EXPORT_COLUMNS)]
    assert await rows.count(TransactionFilter(statuses=("approved",))) == 0


async def test_xlsx_export_reads_back_exactly(clickhouse: ClickHouse, tmp_path: Path) -> None:
    await _stored(clickhouse)
    rows = ClickHouseExportRows(clickhouse, chunk_rows=4)
    path = tmp_path / "t.xlsx"
    seen: list[int] = []
    written = await write_export(ExportFormat.XLSX, rows, TransactionFilter(), path, seen.append)
    assert written == 10 and seen[-1] == 10 and len(seen) == 3
    assert not (tmp_path / "t.xlsx.part").exists()

    sheet = openpyxl.load_workbook(path, read_only=True)["transactions"]
    table = [[c for c in r] for r in sheet.iter_rows(values_only=False)]
    assert [c.value for c in table[0]] == list(EXPORT_COLUMNS)
    by_id = {r[0].value: {name: cell for name, cell in zip(EXPORT_COLUMNS, r, strict=True)} for r in table[1:]}
    assert len(by_id) == 10
    first = by_id[f"ord_{0:032x}"]
    assert first["status"].value == "failed" and first["status_reason"].value == "a, \"quoted\"\nline"
    assert first["amount"].data_type == "n" and first["amount"].number_format == "0.00"
    kwd = by_id[f"ord_{2:032x}"]
    assert kwd["amount"].number_format == "0.000" and kwd["end_user_id"].value == "Zoë 東京"
    assert by_id[f"ord_{1:032x}"]["amount"].number_format == "0"
    # Partner text is a string cell, never a formula; raw XML is not copied into the file.
    cell = by_id[f"ord_{1:032x}"]["end_user_id"]
    assert cell.data_type == "s" and cell.value == "'" + NASTY[1]
    assert by_id[f"ord_{6:032x}"]["external_id"].value == "'" + NASTY[6]

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>10.50</v>" in xml and "<v>0.005</v>" in xml and "<v>1050</v>" in xml  # exact decimals
    assert "<f>" not in xml


async def test_amounts_are_the_exact_decimals_of_their_currency(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    cases = [(v, c) for c in ("EUR", "JPY", "KWD", "XXX") for v in (0, 1, -1, 5, 10, 999, 1000, 123456789,
             -123456789, 2**63 - 1, -(2**63))]  # fmt: skip
    await insert_orders(clickhouse, [
        order(n, amount_value=v, fee_value=-v if v > -(2**63) else v, currency=c) for n, (v, c) in enumerate(cases)
    ])  # fmt: skip
    table = await _csv(ClickHouseExportRows(clickhouse), TransactionFilter())
    got = {r[0]: (r[9], r[10]) for r in table[1:]}
    for n, (v, c) in enumerate(cases):
        fee = -v if v > -(2**63) else v
        assert got[f"ord_{n:032x}"] == (decimal_string(v, c), decimal_string(fee, c)), (v, c)


async def _generate(ch: ClickHouse, n: int) -> None:
    await ch.command(
        f"INSERT INTO {ch.table('orders')} (order_id, company_id, product_id, product_type, provider, "
        "amount_value, fee_value, currency, status, end_user_id, card_last4, external_id, "
        "created_at, updated_at, version) "
        "SELECT concat('ord_', leftPad(toString(number), 12, '0')), concat('cmp_', toString(number % 7)), "
        "'card-transfer-eur', 'card_transfer', 'bank_a', 100 + number, 10, 'EUR', 'completed', "
        "concat('user-', toString(number % 1000)), '4242', concat('ext-', toString(number)), "
        "toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 1000), "
        "toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 1000), 1 "
        "FROM numbers({n:UInt64})",
        {"n": n},
    )


async def _peak_of_export(rows: ClickHouseExportRows, f: TransactionFilter) -> tuple[int, int]:
    """Bytes of the CSV and the peak of Python memory while exporting it and reading the same
    rows as tuples (the XLSX path)."""
    tracemalloc.start()
    try:
        size = 0
        async for block in csv_stream(rows, f):
            size += len(block)
        async for chunk in rows.chunks(f):
            del chunk
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_memory_does_not_grow_with_the_export(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    await _generate(clickhouse, 100_000)
    rows = ClickHouseExportRows(clickhouse, chunk_rows=5_000)
    small = TransactionFilter(created_to=datetime(2026, 1, 1, 2, 46, 40, tzinfo=UTC))
    assert await rows.count(small) == 10_000
    small_bytes, small_peak = await _peak_of_export(rows, small)
    big_bytes, big_peak = await _peak_of_export(rows, TransactionFilter())
    assert big_bytes > 9 * small_bytes  # ten times the rows…
    assert big_peak < small_peak * 1.5 + 2_000_000, (small_peak, big_peak)  # …not ten times the memory
