"""audit.log → sink → ClickHouse → `quadra audit verify`; tampering with one row is caught."""

from __future__ import annotations

import asyncio
import pytest
from typer.testing import CliRunner

from analytics.audit_repo import ClickHouseAuditLog
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rows import AUDIT_LOG_COLUMNS, audit_log_row
from domain.audit_chain import GENESIS_HASH, AuditRecord, Problem, chain, verify_ordered
from quadra.cli import app as cli
from quadra.runtime import sink_routes
from streams.admin import ensure_topics
from streams.audit_messages import encode_audit_record
from streams.sink import Sink, SinkConfig
from streams.topics import AUDIT_LOG, TopicNames
from tests.domain.test_audit_chain import event
from tests.streams.kafka_helpers import producer
from tests.streams.test_sink import _run_sink_until

pytestmark = pytest.mark.kafka
PARTITIONS = 2


def _chain(chain_id: int, length: int) -> list[AuditRecord]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, length + 1):
        details = {"n": seq, "why": "ünïcode ok", "list": [1, None]}
        e = event(100 * chain_id + seq, details=details)
        records.append(chain(prev, seq, e, chain_id=chain_id))
        prev = records[-1].hash
    return records


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


async def test_the_sink_keeps_chains_verifiable_and_one_tampered_row_is_named(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)  # the sink reads them all
    migrate(clickhouse)
    records = _chain(0, 6) + _chain(1, 5)
    async with producer(kafka_bootstrap) as p:
        for r in records + records[2:4]:  # two records twice: a replay by the audit agent
            await p.send(names(AUDIT_LOG), encode_audit_record(r), key=b"c", partition=r.chain)
        await p.flush()
    sink = Sink(
        SinkConfig(kafka_bootstrap, f"{topic_prefix}sink", batch_rows=100, flush_interval_s=0.2),
        clickhouse,
        sink_routes(names),
    )
    await sink.start()
    await _run_sink_until(sink, len(records) + 2)

    log = ClickHouseAuditLog(clickhouse, page_size=4)  # small pages: several per chain
    assert list(log.records_sync()) == records  # read back exactly, µs and unicode included
    result = verify_ordered(log.records_sync())
    assert result.ok and [(c.chain, c.records) for c in result.chains] == [(0, 6), (1, 5)]

    env = {
        "QUADRA_CLICKHOUSE_DSN": clickhouse_dsn,
        "QUADRA_CLICKHOUSE_DATABASE": clickhouse.database,
        "QUADRA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "QUADRA_TOPIC_PREFIX": topic_prefix,
    }
    code, output = await asyncio.to_thread(_cli, ["audit", "verify"], env)
    assert code == 0, output
    assert "audit log OK: 2 chains, 11 records" in output and "chain 1: 5 records" in output
    code, output = await asyncio.to_thread(_cli, ["audit", "verify", "--source", "kafka"], env)
    assert code == 0 and "audit log OK: 2 chains, 11 records" in output, output

    # Someone edits one row in place.
    await clickhouse.command(
        f"ALTER TABLE {clickhouse.table('audit_log')} UPDATE target = 'cmp_forged' "
        "WHERE chain = 1 AND seq = 3 SETTINGS mutations_sync = 2"
    )
    code, output = await asyncio.to_thread(_cli, ["audit", "verify"], env)
    assert code == 1, output
    assert "audit log BROKEN at chain 1, seq 3: hash_mismatch" in output
    assert "chain 0: 6 records, intact" in output

    # Someone replaces chain 0's seq 2 with a well-formed forgery (correct prev_hash, correct
    # hash): the row itself checks out, the link to seq 3 cannot.
    forged = chain(records[0].hash, 2, event(2, action="balance.adjust"), chain_id=0)
    await clickhouse.insert("audit_log", [audit_log_row(forged)], AUDIT_LOG_COLUMNS)
    result = verify_ordered(ClickHouseAuditLog(clickhouse).records_sync())
    broken = result.broken
    assert broken is not None and (broken.chain, broken.seq, broken.problem) == (
        0, 3, Problem.PREV_HASH_MISMATCH,
    )  # fmt: skip
    assert [c.broken.seq if c.broken else None for c in result.chains] == [3, 3]


async def test_verify_says_what_to_do_when_there_is_no_audit_table(
    clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    env = {
        "QUADRA_CLICKHOUSE_DSN": clickhouse_dsn,
        "QUADRA_CLICKHOUSE_DATABASE": clickhouse.database,
    }
    code, output = await asyncio.to_thread(_cli, ["audit", "verify"], env)
    assert code == 2 and "quadra migrate" in output
