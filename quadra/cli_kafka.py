"""`quadra kafka …`: manage the local single-node Kafka broker by hand."""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from quadra.local_kafka import KafkaSetupError, LocalKafka, local_kafka_from_settings
from quadra.cli_common import fail, load_settings

kafka_app = typer.Typer(
    help=(
        "Manage the local single-node Kafka broker (KRaft) that quadra runs under "
        "<QUADRA_DATA_DIR>/kafka when QUADRA_KAFKA_BOOTSTRAP is unset. "
        "`quadra up` starts it by itself; these commands are for doing it by hand."
    ),
    no_args_is_help=True,
)


@kafka_app.command()
def start(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the broker to serve clients.")
    ] = 90,
) -> None:
    """Start the local broker and wait until it serves clients; no-op if already running.

    The first start downloads the broker with Maven (~45 MB); Java 17+ is required.
    """
    settings = load_settings()
    if settings.kafka_bootstrap:
        typer.echo(
            f"An external Kafka cluster is configured (QUADRA_KAFKA_BOOTSTRAP="
            f"{settings.kafka_bootstrap}); not starting the local broker."
        )
        return
    kafka = local_kafka_from_settings(settings)
    if not kafka.jars_cached:
        typer.echo(f"Kafka {kafka.config.version} is not downloaded yet; fetching it with Maven "
                   "(~45 MB, about a minute)…")  # fmt: skip
    try:
        started = kafka.start(timeout=timeout)
    except KafkaSetupError as error:
        fail(error)
    state = "started" if started else "already running"
    typer.echo(f"Kafka {state} on {kafka.bootstrap} (pid {kafka.status().pid})")
    typer.echo(f"Log: {kafka.log_path}")


@kafka_app.command()
def stop(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a clean shutdown before SIGKILL.")
    ] = 30,
) -> None:
    """Stop the local broker (SIGTERM, then SIGKILL after --timeout). Data is kept."""
    kafka = local_kafka_from_settings(load_settings())
    pid = kafka.status().pid
    if kafka.stop(timeout=timeout):
        typer.echo(f"Kafka stopped (pid {pid})")
    else:
        typer.echo("Kafka was not running")


@kafka_app.command()
def status() -> None:
    """Show whether the local broker runs, its pid, address and log. Exit code 1 if stopped."""
    settings = load_settings()
    if settings.kafka_bootstrap:
        typer.echo(f"External Kafka configured: QUADRA_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}")
    state = local_kafka_from_settings(settings).status()
    typer.echo(f"Local Kafka: {'running' if state.running else 'not running'}")
    if state.pid is not None:
        typer.echo(f"  pid:       {state.pid}")
    typer.echo(f"  bootstrap: {state.bootstrap}")
    typer.echo(f"  home:      {state.home}")
    typer.echo(f"  log:       {state.log_path}")
    if not state.running:
        raise typer.Exit(1)


@kafka_app.command()
def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines to show.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
) -> None:
    """Print the end of the local broker's log (<home>/logs/server.log)."""
    kafka: LocalKafka = local_kafka_from_settings(load_settings())
    path = kafka.log_path
    if not path.exists() and not follow:
        typer.echo(f"No log yet at {path}: the broker has not been started.", err=True)
        raise typer.Exit(1)
    position = _print_last_lines(path, lines)
    if follow:
        _follow(path, position)


def _print_last_lines(path: Path, count: int) -> int:
    """Print the last `count` lines; return the file position after them."""
    if not path.exists():
        return 0
    with path.open("rb") as log:
        last = collections.deque(log, maxlen=count) if count else ()
        position = log.tell()
    sys.stdout.write(b"".join(last).decode(errors="replace"))
    sys.stdout.flush()
    return position


def _follow(path: Path, position: int) -> None:
    try:
        while True:
            size = path.stat().st_size if path.exists() else 0
            if size < position:
                position = 0  # the log was rolled over: read the new file from its start
            if size > position:
                with path.open("rb") as log:
                    log.seek(position)
                    sys.stdout.write(log.read().decode(errors="replace"))
                    position = log.tell()
                sys.stdout.flush()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


