"""`quadra ledger verify --clickhouse`: the books read from Kafka, then every company's
statements from the sink's `ledger_entries` against them; a row lost on the way is named."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from domain.ledger import Account, Book, Entry, EntryKind, LedgerAccount
from quadra.cli import app as cli
from quadra.runtime import sink_routes
from streams.admin import ensure_topics
from streams.ledger_messages import encode_book, encode_entry
from streams.sink import Sink, SinkConfig
from streams.topics import BALANCES, LEDGER_ENTRIES, TopicNames
from tests.builders import T0
from tests.streams.kafka_helpers import producer
from tests.streams.test_sink import _run_sink_until


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


pytestmark = pytest.mark.kafka
A, FUNDING, ADJUSTMENTS = LedgerAccount.AVAILABLE, LedgerAccount.FUNDING, LedgerAccount.ADJUSTMENTS


def _books_and_entries() -> tuple[list[Book], list[Entry]]:
    """Top-ups and adjustments (no orders), over two days, some sharing a millisecond."""
    steps = {"cmp_a": [(0, 5_000), (0, 700), (30, -200), (26 * 60, 1_000)], "cmp_b": [(5, 300), (5, -100)]}
    books, entries = [], []
    for company, moves in steps.items():
        available = 0
        for i, (minutes, amount) in enumerate(moves):
            available += amount
            kind = EntryKind.TOP_UP if amount > 0 and i < 2 else EntryKind.ADJUSTMENT
            source, target = (FUNDING if kind is EntryKind.TOP_UP else ADJUSTMENTS, A) if amount > 0 else (A, ADJUSTMENTS)
            entries.append(Entry(
                f"{company}:c{i}:{kind.value}", company, "EUR", kind, abs(amount), source, target,
                T0 + timedelta(minutes=minutes), command_id=f"c{i}", available_after=available,
            ))  # fmt: skip
        books.append(Book(company, (Account("EUR", available),)))
    return books, entries


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


async def test_statements_reconcile_and_a_lost_row_is_named(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    migrate(clickhouse)
    books, entries = _books_and_entries()
    async with producer(kafka_bootstrap) as p:
        for e in entries:
            await p.send(names(LEDGER_ENTRIES), encode_entry(e), key=e.company_id.encode())
        for b in books:
            await p.send(names(BALANCES), encode_book(b), key=b.company_id.encode())
        await p.flush()
    routes = [r for r in sink_routes(names) if r.topic == names(LEDGER_ENTRIES)]
    sink = Sink(SinkConfig(kafka_bootstrap, f"{topic_prefix}sink", 100, 0.2), clickhouse, routes)
    await sink.start()
    await _run_sink_until(sink, len(entries))
    env = {
        "QUADRA_CLICKHOUSE_DSN": clickhouse_dsn,
        "QUADRA_CLICKHOUSE_DATABASE": clickhouse.database,
        "QUADRA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "QUADRA_TOPIC_PREFIX": topic_prefix,
    }

    code, output = await asyncio.to_thread(_cli, ["ledger", "verify"], env)
    assert code == 0 and "ledger OK" in output and "statements" not in output, output  # as before
    code, output = await asyncio.to_thread(_cli, ["ledger", "verify", "--clickhouse"], env)
    assert code == 0, output
    assert "6 entries, 2 balances" in output and "ledger OK" in output
    assert "statements reconcile for 2 companies × currencies" in output

    await clickhouse.command(
        f"ALTER TABLE {clickhouse.table('ledger_entries')} DELETE WHERE entry_id = 'cmp_a:c3:adjustment' "
        "SETTINGS mutations_sync = 2"
    )
    code, output = await asyncio.to_thread(_cli, ["ledger", "verify", "--clickhouse"], env)
    assert code == 1 and "ledger OK" in output, output  # Kafka's books are still fine
    assert "PROBLEM cmp_a EUR: ClickHouse closes at available 5500" in output
    assert "PROBLEM cmp_b" not in output
