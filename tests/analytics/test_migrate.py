from __future__ import annotations

from pathlib import Path

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import load_migrations, migrate


async def test_migrations_apply_once_and_create_the_tables(clickhouse: ClickHouse) -> None:
    first = migrate(clickhouse)
    second = migrate(clickhouse)

    assert [m.version for m in first] == [m.version for m in load_migrations()]
    assert second == []
    tables = {
        row[0]
        for row in await clickhouse.query(
            "SELECT name FROM system.tables WHERE database = {db:String}",
            {"db": clickhouse.database},
        )
    }
    assert {"orders", "order_events", "request_log", "schema_migrations"} <= tables


def test_a_new_migration_file_is_applied_after_the_existing_ones(
    clickhouse: ClickHouse, tmp_path: Path
) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE {db}.a (x UInt8) ENGINE = Memory;\n")
    assert [m.name for m in migrate(clickhouse, tmp_path)] == ["a"]
    (tmp_path / "0002_b.sql").write_text(
        "-- comment\nCREATE TABLE {db}.b (x UInt8) ENGINE = Memory;\n"
        "INSERT INTO {db}.b VALUES (7);\n"
    )
    assert [m.name for m in migrate(clickhouse, tmp_path)] == ["b"]
    assert clickhouse.query_sync(f"SELECT x FROM {clickhouse.table('b')}") == [(7,)]


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="duplicate"):
        load_migrations(tmp_path)
