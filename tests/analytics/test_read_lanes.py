"""Read lanes on the embedded engine: more handles to the one engine, queries awaited together
run at once (two half-second sleeps take about half a second on two lanes, a second on one),
and each sees what the process's own connection wrote (the risk dashboard on lanes:
tests/analytics/dashboards/test_risk_panels.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from analytics.clickhouse import ClickHouse
from analytics.read_lanes import ReadLanes


async def _two_sleeps(lanes: ReadLanes) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(lanes.query("SELECT sleep(0.5)") for _ in range(2)))
    return time.perf_counter() - started


async def test_queries_awaited_together_run_at_once_on_lanes_and_in_turn_on_one(
    clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    two = ReadLanes.connect(clickhouse_dsn, clickhouse.database, 2)
    one = ReadLanes.connect(clickhouse_dsn, clickhouse.database, 1)
    try:
        assert await _two_sleeps(two) < 0.9
        assert await _two_sleeps(one) >= 1.0
    finally:
        two.close()
        one.close()


async def test_a_lane_reads_what_the_process_connection_wrote(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    await clickhouse.command(f"CREATE TABLE {clickhouse.table('t')} (n UInt8) ENGINE = MergeTree ORDER BY n")
    lanes = ReadLanes.connect(clickhouse_dsn, clickhouse.database, 2)
    try:
        await clickhouse.insert("t", [(1,), (2,)], ["n"])
        found = await asyncio.gather(*(lanes.query(f"SELECT sum(n) FROM {lanes.table('t')}") for _ in range(3)))
        assert found == [[(3,)]] * 3 and lanes.database == clickhouse.database
    finally:
        lanes.close()


async def test_columns_are_read_on_lanes_too(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    """The transactions report's totals read columns (ClickHouse.query_columns) on the lanes."""
    lanes = ReadLanes.connect(clickhouse_dsn, clickhouse.database, 2)
    try:
        started = time.perf_counter()
        columns = "SELECT number, toString(number) FROM numbers(3) WHERE sleep(0.5) = 0"
        found = await asyncio.gather(lanes.query_columns(columns), lanes.query("SELECT sleep(0.5)"))
        assert time.perf_counter() - started < 0.9  # at once, on the two lanes
        assert found[0] == [[0, 1, 2], ["0", "1", "2"]]
    finally:
        lanes.close()


def test_no_lanes_is_refused() -> None:
    with pytest.raises(ValueError):
        ReadLanes([])
