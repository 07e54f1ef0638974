"""`quadra analytics rollup` builds the daily rollups of data that has none."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rollups.definitions import ORDERS
from analytics.rollups.state import day_states
from quadra.cli import app
from tests.analytics.reports.rows import insert_orders, order
from tests.analytics.rollups.history import DAY0, D


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.output


async def test_rollup_builds_existing_days_and_then_has_nothing_to_do(
    clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    migrate(clickhouse)
    await insert_orders(clickhouse, [order(n, created_at=DAY0 + n * D) for n in range(4)])  # no marks
    env = {"QUADRA_CLICKHOUSE_DSN": clickhouse_dsn, "QUADRA_CLICKHOUSE_DATABASE": clickhouse.database}

    code, output = await asyncio.to_thread(_cli, ["analytics", "rollup"], env)
    assert code == 0, output
    assert "orders: 4 days computed" in output and "ledger: 0 days computed" in output
    assert all(s.clean for s in (await day_states(clickhouse, ORDERS)).values())
    code, output = await asyncio.to_thread(_cli, ["analytics", "rollup"], env)
    assert (code, "orders: 0 days computed" in output) == (0, True), output
    code, output = await asyncio.to_thread(_cli, ["analytics", "rollup", "--rebuild"], env)
    assert (code, "orders: 4 days computed" in output) == (0, True), output


def test_rollup_without_the_tables_says_to_migrate(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    env = {"QUADRA_CLICKHOUSE_DSN": clickhouse_dsn, "QUADRA_CLICKHOUSE_DATABASE": clickhouse.database}
    code, output = _cli(["analytics", "rollup"], env)
    assert code == 2 and "quadra migrate" in output
