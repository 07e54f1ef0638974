"""Partners' fraud reports in the embedded ClickHouse: one company's only, newest first, time
range, keyset pages, replayed rows collapse, and `partner.events` that are not reports."""

from __future__ import annotations

import pytest

from analytics.clickhouse import ClickHouse
from analytics.fraud_reports_repo import ClickHouseFraudReports, decode_report_key, encode_report_key
from analytics.fraud_rows import FRAUD_REPORT_COLUMNS, decode_partner_fraud_report, fraud_report_row
from analytics.migrate import migrate
from domain.errors import InvalidCursor
from streams import fraud_messages as fm
from tests.builders import T0
from tests.fraud_builders import M, report


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


async def test_a_company_reads_its_reports_newest_first_in_pages(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    reports = [report(n, "cmp_b" if n == 2 else "cmp_a") for n in range(1, 8)]
    # As the sink stores them: decoded from partner.events.
    decoded = [decode_partner_fraud_report(fm.encode_fraud_report(r)) for r in reports]
    rows = [row for row in map(fraud_report_row, decoded) if row is not None]
    await clickhouse.insert("fraud_reports", rows, FRAUD_REPORT_COLUMNS)
    await clickhouse.insert("fraud_reports", rows[:3], FRAUD_REPORT_COLUMNS)  # replayed
    repo = ClickHouseFraudReports(clickhouse)

    first, key = await repo.page("cmp_a", None, None, None, 4)
    assert [r.report_id for r in first] == ["frr_0007", "frr_0006", "frr_0005", "frr_0004"]
    assert first[0] == reports[6] and first[1].external_id is None and first[0].blocked
    assert key is not None and decode_report_key(encode_report_key(key) or "") == key
    rest, last = await repo.page("cmp_a", None, None, key, 4)
    assert [r.report_id for r in rest] == ["frr_0003", "frr_0001"] and last is None  # frr_0002 is cmp_b's

    ranged, _ = await repo.page("cmp_a", T0 + 3 * M, T0 + 6 * M, None, 10)
    assert [r.report_id for r in ranged] == ["frr_0005", "frr_0004", "frr_0003"]
    assert [r.report_id for r in (await repo.page("cmp_b", None, None, None, 10))[0]] == ["frr_0002"]
    for hostile in ("cmp_a' OR 1=1 --", "cmp_a'--", "%", "{company_id:String}"):
        assert (await repo.page(hostile, None, None, None, 10))[0] == []

    with pytest.raises(InvalidCursor):
        decode_report_key("eyJrIjoiZnJhdWQtcmVwb3J0cyJ9")  # JSON without the checksum
