"""`quadra analytics …`: upkeep of what the reports read in ClickHouse."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from quadra.cli_common import clickhouse_with, load_settings

if TYPE_CHECKING:
    from analytics.clickhouse import ClickHouse
    from analytics.rollups.refresh import Refreshed

analytics_app = typer.Typer(
    help="ClickHouse analytics: the rollups behind the reports, the risk dashboard and rule statistics.",
    no_args_is_help=True,
)


@analytics_app.command()
def rollup(
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Recompute every day from the first to the last, not only the missing and dirty ones."
    ),
) -> None:
    """Build the rollups now: orders and ledger entries per day, decisions and rule hits per hour.

    Computes every day that has no rollup yet (existing data after `quadra migrate`), then
    every dirty day (rows arrived since its last computation), however recently it was marked.
    `quadra up` and `quadra sink` do the same on their own (at start, then every
    QUADRA_ROLLUP_REFRESH_INTERVAL_S); reports never read a day that changed since its rollup,
    so this only makes them faster sooner. With the embedded engine stop `quadra up` first.
    """
    settings = load_settings()
    with clickhouse_with(settings, "rollup_days") as ch:
        for done in asyncio.run(_build(ch, rebuild)):
            typer.echo(f"{done.rollup}: {done.days} days computed in {done.seconds:.1f} s")


async def _build(ch: ClickHouse, rebuild: bool) -> list[Refreshed]:
    from analytics.rollups.definitions import ROLLUPS
    from analytics.rollups.refresh import Refreshed, build_missing, refresh_dirty

    done = []
    for rollup in ROLLUPS:
        built = await build_missing(ch, rollup, rebuild=rebuild)
        dirty = await refresh_dirty(ch, rollup)
        done.append(Refreshed(rollup.name, built.days + dirty.days, built.seconds + dirty.seconds))
    return done
