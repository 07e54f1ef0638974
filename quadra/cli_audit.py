"""`quadra audit …`: check the hash-chained audit log."""

from __future__ import annotations

import asyncio
import enum
from typing import Annotated

import typer

from domain.audit_chain import VerifyResult, verify, verify_ordered
from quadra.cli_common import clickhouse_with, fail, load_settings
from quadra.settings import Settings

audit_app = typer.Typer(
    help="The append-only audit log of staff actions and API-key uses, hash-chained per partition.",
    no_args_is_help=True,
)


class Source(str, enum.Enum):
    CLICKHOUSE = "clickhouse"
    KAFKA = "kafka"


@audit_app.command("verify")
def verify_command(
    source: Annotated[
        Source, typer.Option(help="Read the audit_log table, or the audit.log topic.")
    ] = Source.CLICKHOUSE,
) -> None:
    """Re-check every hash chain; report the counts per chain, or the first broken link.

    Exit code 0 when every chain is intact, 1 at a broken link (which chain, which seq and what
    is wrong: hash_mismatch, prev_hash_mismatch, seq_gap, duplicate_seq), 2 when the log
    cannot be read.

    --source clickhouse (default) reads the audit_log table. With the embedded engine
    (QUADRA_CLICKHOUSE_DSN unset) stop `quadra up` first: a chdb path can be open in one
    process only. --source kafka reads the audit.log topic from QUADRA_KAFKA_BOOTSTRAP, or
    from the local broker, which must be running (`quadra kafka start`); it works while
    `quadra up` runs.
    """
    settings = load_settings()
    if source is Source.KAFKA:
        result = _verify_kafka(settings)
    else:
        result = _verify_clickhouse(settings)
    _print(result)
    raise typer.Exit(0 if result.ok else 1)


def _verify_clickhouse(settings: Settings) -> VerifyResult:
    from analytics.audit_repo import ClickHouseAuditLog

    with clickhouse_with(settings, "audit_log") as ch:
        return verify_ordered(ClickHouseAuditLog(ch).records_sync())


def _verify_kafka(settings: Settings) -> VerifyResult:
    from quadra.local_kafka import local_kafka_from_settings
    from streams.audit_log_reader import read_audit_log
    from streams.topics import AUDIT_LOG, TopicNames

    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        local = local_kafka_from_settings(settings)
        if not local.status().running:
            fail("the local Kafka broker is not running: `quadra kafka start` first")
        bootstrap = local.bootstrap
    topic = TopicNames(settings.topic_prefix)(AUDIT_LOG)
    try:
        snapshot = asyncio.run(read_audit_log(bootstrap, topic))
    except Exception as exc:
        fail(f"cannot read {topic} from Kafka at {bootstrap}: {exc!r}")
    for problem in snapshot.undecodable:
        typer.echo(f"warning: not an audit record at {topic} {problem}", err=True)
    return verify(snapshot.records)


def _print(result: VerifyResult) -> None:
    broken = result.broken
    if broken is None:
        typer.echo(f"audit log OK: {len(result.chains)} chains, {result.records} records")
    else:
        typer.echo(f"audit log BROKEN at {broken.describe()}")
    for chain in result.chains:
        state = (
            f"broken at seq {chain.broken.seq} ({chain.broken.problem.value})"
            if chain.broken
            else f"intact, head {chain.head_hash[:16]}…"
        )
        typer.echo(f"  chain {chain.chain}: {chain.records} records, {state}")


