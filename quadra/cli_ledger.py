"""`quadra ledger …`: checks on the books."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from quadra.cli_common import clickhouse_with, fail, load_settings
from quadra.local_kafka import local_kafka_from_settings
from quadra.settings import Settings
from streams.ledger_reader import LedgerSnapshot, read_ledger
from streams.topics import TopicNames

if TYPE_CHECKING:
    from analytics.reports.reconcile import ReconcileReport

ledger_app = typer.Typer(help="The ledger: balances and their double-entry entries.", no_args_is_help=True)


@ledger_app.command()
def verify(
    clickhouse: bool = typer.Option(
        False, "--clickhouse",
        help="Also reconcile every company's statements in ClickHouse with these books.",
    ),  # fmt: skip
) -> None:
    """Check every ledger invariant, reading the books from Kafka (works while Quadra runs).

    Entries sum to zero and explain every balance exactly; available + credit_limit >= 0;
    each order has one reservation and at most one capture or release, matching its terminal
    status; no entry is applied twice. With --clickhouse, then also: for every company and
    currency, the statements from ClickHouse's `ledger_entries` (whole history, each day, a few
    sub-periods) equal those built from the entries just read, and close on the balance sheet.
    Run it when the sink has caught up (traffic stopped): a lagging sink shows as differences;
    with the embedded engine, stop `quadra up` first (one process per path). Exit code 1 on any
    problem.
    """
    settings = load_settings()
    bootstrap = _running_bootstrap(settings)
    snapshot = asyncio.run(read_ledger(bootstrap, TopicNames(settings.topic_prefix)))
    report = snapshot.verify()
    typer.echo(
        f"{report.entries} entries, {report.accounts} balances, {report.orders} orders checked"
    )
    problems = list(report.problems)
    if report.ok:
        typer.echo("ledger OK")
    if clickhouse:
        reconciled = _reconcile(settings, snapshot)
        if reconciled.ok:
            typer.echo(
                f"statements reconcile for {reconciled.scopes} companies × currencies "
                f"({reconciled.statements} statements)"
            )
        problems += reconciled.problems
    if not problems:
        return
    for problem in problems[:50]:
        typer.echo(f"PROBLEM {problem}")
    if len(problems) > 50:
        typer.echo(f"… and {len(problems) - 50} more")
    raise typer.Exit(1)


def _reconcile(settings: Settings, snapshot: LedgerSnapshot) -> ReconcileReport:
    from analytics.reports.reconcile import reconcile_statements

    with clickhouse_with(settings, "ledger_entries") as ch:
        return asyncio.run(reconcile_statements(ch, snapshot.entries, snapshot.books))


def _running_bootstrap(settings: Settings) -> str:
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    local = local_kafka_from_settings(settings)
    if not local.status().running:
        fail("the local Kafka broker is not running (start Quadra first, or set QUADRA_KAFKA_BOOTSTRAP)")
    return local.bootstrap
