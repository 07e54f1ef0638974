"""The CSV ClickHouse formats (export_rows.csv_chunks) is byte for byte what Python's csv
module writes from the stored orders formatted in Python (domain.money.decimal_string, ISO 8601
in UTC, formula-like text behind a `'`): an independent encoder as the oracle, on awkward data
(quotes, commas, line breaks, unicode, formula starts, zero/negative/extreme amounts in
currencies of 0, 2 and 3 decimals and an unknown one), across chunk boundaries, with FINAL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.export_output import ExportFormat, csv_stream, write_export
from analytics.reports.export_rows import ClickHouseExportRows
from analytics.reports.export_writers import csv_header
from analytics.reports.filters import TransactionFilter
from domain.money import decimal_string
from tests.analytics.reports.rows import insert_orders, order
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


AWKWARD = (
    "", "plain", 'say "hi"', 'a, "quoted"\r\nline', "lf\nonly", "cr\ronly", "tab\tinside",
    "back\\slash", "Zoë 東京 🎉", "e\u0301", "=1+1", "+31 6 0000", "-2+3", "@SUM(A1)",
    "\tindented", "\rreturn", " =spaced", "'already", '"=quoted"', ",lead", "trail,",
    "<r><t>raw xml</t></r>", "x" * 300,
)  # fmt: skip
CURRENCIES = ("EUR", "JPY", "KWD", "CLP", "XXX")
AMOUNTS = (0, 1, -1, 5, -5, 99, 100, -100, 1000, -1001, 123456789, 2**63 - 1, -(2**63))
TEXT = ("status", "status_reason", "product_id", "product_type", "provider", "currency",
        "end_user_id", "card_last4", "external_id")  # fmt: skip


def _orders() -> list[dict[str, Any]]:
    rows = []
    for n in range(60):
        awkward = AWKWARD[n % len(AWKWARD)]
        rows.append(order(
            n,
            company_id=("cmp_a", "cmp_b", "cmp_c")[n % 3],
            # Several orders share a timestamp, some across a chunk boundary: ties by order id.
            created_at=T0 + timedelta(milliseconds=(n // 12) * 999),
            updated_at=datetime(2027, 1, 1, tzinfo=UTC) - timedelta(milliseconds=n),
            amount_value=AMOUNTS[n % len(AMOUNTS)],
            fee_value=-AMOUNTS[(n + 3) % len(AMOUNTS)] if AMOUNTS[(n + 3) % len(AMOUNTS)] > -(2**63) else 0,
            currency=CURRENCIES[n % len(CURRENCIES)],
            status=("completed", "=failed", "dispatched")[n % 3],
            status_reason=awkward,
            product_id=AWKWARD[(n + 1) % len(AWKWARD)] or "p",
            product_type=("card_transfer", "+gift", "mobile_topup")[n % 3],
            provider=("bank_a", "@cards", "")[n % 3],
            end_user_id=AWKWARD[(n + 2) % len(AWKWARD)],
            card_last4=("4242", "-123", "\t999", "")[n % 4],
            external_id=AWKWARD[(n + 5) % len(AWKWARD)],
        ))  # fmt: skip
    return rows


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _python_csv(latest: list[dict[str, Any]]) -> bytes:
    """What the export must be, from the orders as inserted, without ClickHouse's formatting."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for o in sorted(latest, key=lambda o: (o["company_id"], o["created_at"], o["order_id"])):
        text = {column: _cell(o[column]) for column in TEXT}
        writer.writerow([
            o["order_id"], o["company_id"], _iso(o["created_at"]), _iso(o["updated_at"]),
            text["status"], text["status_reason"], text["product_id"], text["product_type"],
            text["provider"], decimal_string(o["amount_value"], o["currency"]),
            decimal_string(o["fee_value"], o["currency"]), text["currency"], text["end_user_id"],
            text["card_last4"], text["external_id"],
        ])  # fmt: skip
    return csv_header() + buffer.getvalue().encode("utf-8")


async def test_clickhouse_csv_is_byte_identical_to_the_python_encoding(
    clickhouse: ClickHouse, tmp_path: Path
) -> None:
    migrate(clickhouse)
    latest = _orders()
    # Stale versions first: FINAL must export only the latest one of each order.
    await insert_orders(clickhouse, [
        {**o, "status": "approved", "status_reason": "stale", "amount_value": 7, "version": 0}
        for o in latest[::2]
    ])  # fmt: skip
    await insert_orders(clickhouse, latest)
    expected = _python_csv(latest)

    body = b"".join([block async for block in csv_stream(ClickHouseExportRows(clickhouse), TransactionFilter())])
    assert body == expected
    for chunk_rows in (2, 7, 60):  # chunk boundaries inside ties; the last chunk exactly full
        chunks = [c async for c in ClickHouseExportRows(clickhouse, chunk_rows).csv_chunks(TransactionFilter())]
        assert csv_header() + b"".join(data for _, data in chunks) == expected, chunk_rows
        assert [n for n, _ in chunks] == [chunk_rows] * (60 // chunk_rows) + ([60 % chunk_rows] if 60 % chunk_rows else [])

    # The background job's file is the same bytes, and its progress counts every row.
    seen: list[int] = []
    path = tmp_path / "t.csv"
    rows = ClickHouseExportRows(clickhouse, chunk_rows=8)
    assert await write_export(ExportFormat.CSV, rows, TransactionFilter(), path, seen.append) == 60
    assert path.read_bytes() == expected
    assert seen == [8, 16, 24, 32, 40, 48, 56, 60]


async def test_a_filtered_export_is_the_python_encoding_of_the_matching_orders(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    latest = _orders()
    await insert_orders(clickhouse, latest)
    # A fixed column (before FINAL) and a changing one (after it), over several chunks.
    f = TransactionFilter(company_ids=("cmp_a", "cmp_c"), statuses=("completed", "dispatched"))
    matching = [o for o in latest if o["company_id"] in f.company_ids and o["status"] in f.statuses]
    rows = ClickHouseExportRows(clickhouse, chunk_rows=3)
    assert b"".join([block async for block in csv_stream(rows, f)]) == _python_csv(matching)
    assert await rows.count(f) == len(matching) > 3
