"""An fsynced local file of Kafka records the broker did not take in time (streams/outbox.py).

Layout, in one directory per process: `current.jsonl` takes appends; `batches()` first renames
it to `batch-<ns>.jsonl` (atomic), so a replay reads a file no append touches and appends go on
into a new `current.jsonl`. One JSON line per record. A crash can tear only the last line of
`current.jsonl` (each append is one write, then fsync): `read` skips such a line, and the
records in it were never confirmed to anyone, because `append` returns only after the fsync.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

CURRENT = "current.jsonl"


class SpoolFull(OSError):
    """The spool holds `max_bytes` already: the broker has been away for long."""


@dataclass(frozen=True)
class SpooledRecord:
    topic: str
    key: bytes
    value: bytes


def _line(record: SpooledRecord) -> bytes:
    return orjson.dumps(
        {
            "topic": record.topic,
            "key": base64.b64encode(record.key).decode(),
            "value": base64.b64encode(record.value).decode(),
        }
    ) + b"\n"


class SpoolFile:
    """Thread-safe: appends come from worker threads (asyncio.to_thread)."""

    def __init__(self, directory: Path, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._dir = directory
        self._max = max_bytes
        self._lock = threading.Lock()

    def append(self, records: list[SpooledRecord]) -> None:
        """Returns once the records are on disk (fsync); raises SpoolFull or the OSError."""
        data = b"".join(_line(r) for r in records)
        with self._lock:
            if self._size() + len(data) > self._max:
                raise SpoolFull(f"the outbox spool {self._dir} holds {self._max} bytes already")
            created = not (self._dir / CURRENT).exists()
            self._dir.mkdir(parents=True, exist_ok=True)
            with open(self._dir / CURRENT, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if created:
                self._sync_dir()

    def pending(self) -> bool:
        return self._dir.is_dir() and any(self._dir.glob("*.jsonl"))

    def batches(self) -> list[Path]:
        """Every batch to replay, oldest first, after closing `current.jsonl` into one."""
        with self._lock:
            current = self._dir / CURRENT
            if current.exists() and current.stat().st_size > 0:
                current.rename(self._dir / f"batch-{time.time_ns():020d}.jsonl")
                self._sync_dir()
        return sorted(self._dir.glob("batch-*.jsonl")) if self._dir.is_dir() else []

    def read(self, path: Path) -> list[SpooledRecord]:
        records = []
        lines = path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line:
                continue
            try:
                raw = orjson.loads(line)
                records.append(
                    SpooledRecord(
                        raw["topic"], base64.b64decode(raw["key"]), base64.b64decode(raw["value"])
                    )
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                if number == len(lines):  # no newline after it: an append a crash cut short
                    log.warning("skipping the torn last line of %s", path.name)
                else:  # not ours to repair; skipping it keeps the rest from being stuck
                    log.error("skipping unreadable line %d of %s", number, path.name)
        return records

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self._sync_dir()

    def _size(self) -> int:
        if not self._dir.is_dir():
            return 0
        return sum(p.stat().st_size for p in self._dir.glob("*.jsonl"))

    def _sync_dir(self) -> None:
        fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
