"""`quadra ledger …`: checks on the books."""

from __future__ import annotations

import asyncio

import typer

from quadra.cli_common import fail, load_settings
from quadra.local_kafka import local_kafka_from_settings
from quadra.settings import Settings
from streams.ledger_reader import read_ledger
from streams.topics import TopicNames

ledger_app = typer.Typer(help="The ledger: balances and their double-entry entries.", no_args_is_help=True)


@ledger_app.command()
def verify() -> None:
    """Check every ledger invariant, reading the books from Kafka (works while Quadra runs).

    Entries sum to zero and explain every balance exactly; available + credit_limit >= 0;
    each order has one reservation and at most one capture or release, matching its terminal
    status; no entry is applied twice. Exit code 1 on any problem.
    """
    settings = load_settings()
    bootstrap = _running_bootstrap(settings)
    snapshot = asyncio.run(read_ledger(bootstrap, TopicNames(settings.topic_prefix)))
    report = snapshot.verify()
    typer.echo(
        f"{report.entries} entries, {report.accounts} balances, {report.orders} orders checked"
    )
    if report.ok:
        typer.echo("ledger OK")
        return
    for problem in report.problems[:50]:
        typer.echo(f"PROBLEM {problem}")
    if len(report.problems) > 50:
        typer.echo(f"… and {len(report.problems) - 50} more")
    raise typer.Exit(1)


def _running_bootstrap(settings: Settings) -> str:
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    local = local_kafka_from_settings(settings)
    if not local.status().running:
        fail("the local Kafka broker is not running (start Quadra first, or set QUADRA_KAFKA_BOOTSTRAP)")
    return local.bootstrap
