"""The `quadra` command line."""

from __future__ import annotations

import asyncio
import logging
import sys

import typer

from quadra.cli_analytics import analytics_app
from quadra.cli_audit import audit_app
from quadra.cli_admin import admin_app
from quadra.cli_common import load_settings
from quadra.cli_dashboards import dashboards_app
from quadra.cli_fraud import backtest, simulate, train
from quadra.cli_kafka import kafka_app
from quadra.cli_ledger import ledger_app
from quadra.cli_sandbox import sandbox

app = typer.Typer(
    help=(
        "Quadra: rewards payouts with fraud checks, exact balances and fast reports.\n\n"
        "Configuration comes from QUADRA_* environment variables (or a .env file). With "
        "QUADRA_KAFKA_BOOTSTRAP unset, a local single-node Kafka is started under the data dir; "
        "with QUADRA_CLICKHOUSE_DSN unset, the embedded ClickHouse engine is used."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(kafka_app, name="kafka")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")
app.add_typer(analytics_app, name="analytics")
app.add_typer(dashboards_app, name="dashboards")
app.command(name="sandbox")(sandbox)
app.command(name="simulate")(simulate)
app.command(name="train")(train)
app.command(name="backtest")(backtest)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request at INFO: each provider call of dispatch and each webhook
    # attempt would be a log line (3-5 per order); both are in the request log already.
    for noisy in ("aiokafka", "faust", "mode", "kafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)


def _run(roles: str, seed_demo: bool, verbose: bool) -> None:
    from quadra.process import run_process

    _configure_logging(verbose)
    settings = load_settings()
    code = asyncio.run(run_process(settings, roles, seed_demo))
    raise typer.Exit(code)


@app.command()
def up(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    """Run everything in one process: API, stream workers and sink, on embedded defaults.

    Starts the local Kafka broker if needed, applies ClickHouse migrations, seeds a sandbox
    company and prints the API URL and its demo API key.
    """
    settings = load_settings()
    _run("api,worker,sink", settings.seed_demo_company, verbose)


@app.command()
def api(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    """Run the partner REST API only (needs a ClickHouse server DSN)."""
    _run("api", False, verbose)


@app.command()
def worker(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    """Run the stream agents (intake; later ledger, dispatch, notify). Scale by adding replicas."""
    _run("worker", False, verbose)


@app.command()
def sink(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    """Run the sink that writes events and request logs to ClickHouse (needs a server DSN)."""
    _run("sink", False, verbose)


@app.command()
def migrate() -> None:
    """Apply pending ClickHouse migrations and exit."""
    from analytics.clickhouse import ClickHouse
    from analytics.migrate import migrate as apply

    settings = load_settings()
    ch = ClickHouse.connect(settings.clickhouse_url, settings.clickhouse_database)
    try:
        applied = apply(ch)
    finally:
        ch.close()
    if applied:
        for m in applied:
            typer.echo(f"applied {m.version:04d}_{m.name}")
    else:
        typer.echo("schema is up to date")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
