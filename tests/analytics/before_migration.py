"""Migrate a test database only up to (not including) a version: rows stored then are what a
later migration must backfill."""

from __future__ import annotations

import shutil
from pathlib import Path

from analytics.clickhouse import ClickHouse
from analytics.migrate import MIGRATIONS_DIR, load_migrations, migrate


def migrate_before(ch: ClickHouse, version: int, scratch: Path) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    names = {m.version for m in load_migrations()}
    assert version in names, f"no migration {version}"
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:4]) < version:
            shutil.copy(path, scratch / path.name)
    migrate(ch, scratch)
