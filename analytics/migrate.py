"""Versioned schema migrations: `analytics/migrations/NNNN_name.sql`, applied in order, once.

Each file holds statements separated by `;` at line ends; `{db}` names the database.
Applied versions are recorded in `schema_migrations`, so running again is a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analytics.clickhouse import ClickHouse

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.iterdir()):
        match = _FILE.match(path.name)
        if not match:
            continue
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")
        )
        statements = tuple(s.strip() for s in re.split(r";\s*$", text, flags=re.M) if s.strip())
        found.append(Migration(int(match.group(1)), match.group(2), statements))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {directory}")
    return found


def migrate(ch: ClickHouse, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Blocking; returns the migrations applied now."""
    table = ch.table("schema_migrations")
    ch.command_sync(
        f"CREATE TABLE IF NOT EXISTS {table} "
        "(version UInt32, name String, applied_at DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY version"
    )
    applied = {row[0] for row in ch.query_sync(f"SELECT version FROM {table}")}
    done = []
    for migration in load_migrations(directory):
        if migration.version in applied:
            continue
        for statement in migration.statements:
            ch.command_sync(statement.replace("{db}", ch.database))
        ch.insert_sync(
            "schema_migrations",
            [(migration.version, migration.name, datetime.now(UTC))],
            ("version", "name", "applied_at"),
        )
        done.append(migration)
    return done
