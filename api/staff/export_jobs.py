"""Background export jobs of this API process: asyncio tasks writing files under one directory.

A job counts its rows first (the estimate progress is measured against), then writes the file
chunk by chunk. At most `max_active` jobs are queued or running at once; a further one is
refused (429) rather than queued without bound. Finished files expire after `ttl` (deleted on
the next access, by `sweep()`, and at start for files of an earlier process).

Jobs live in this process's memory: on a multi-node deployment, poll and download from the
node that answered the POST (or route /staff/v1/exports to one node).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.reports.export_output import ExportFormat, ExportSource, write_export
from analytics.reports.filters import TransactionFilter
from domain.errors import DomainError

log = logging.getLogger(__name__)


class TooManyExports(DomainError):
    status = 429
    slug = "too-many-exports"
    title = "Too many exports running"


class ExportStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ExportJob:
    id: str
    owner_id: str  # the staff user who asked for it
    format: ExportFormat
    filter: TransactionFilter
    created_at: datetime
    status: ExportStatus = ExportStatus.QUEUED
    rows_written: int = 0
    total_rows: int | None = None  # counted when the job starts; rows may arrive meanwhile
    finished_at: datetime | None = None
    error: str = ""

    @property
    def progress(self) -> int:
        """Percent, 100 only once done."""
        if self.status is ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.rows_written * 100 // self.total_rows)

    @property
    def filename(self) -> str:
        return f"transactions-{self.id}.{self.format.value}"


def new_export_id() -> str:
    return "exp_" + secrets.token_hex(16)


def _now() -> datetime:
    return datetime.now(UTC)


class ExportJobs:
    def __init__(
        self,
        rows: ExportSource,
        directory: Path,
        max_active: int = 2,
        ttl: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = new_export_id,
    ) -> None:
        self._rows = rows
        self._dir = directory
        self._max_active = max_active
        self._ttl = ttl
        self._clock = clock
        self._new_id = new_id
        self._jobs: dict[str, ExportJob] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def path(self, job: ExportJob) -> Path:
        return self._dir / job.filename

    def start(self, owner_id: str, fmt: ExportFormat, f: TransactionFilter) -> ExportJob:
        self.sweep()
        active = sum(1 for j in self._jobs.values() if j.status in (ExportStatus.QUEUED, ExportStatus.RUNNING))
        if active >= self._max_active:
            raise TooManyExports(
                f"{active} exports are already running (at most {self._max_active}); try again later"
            )
        job = ExportJob(self._new_id(), owner_id, fmt, f, self._clock())
        self._jobs[job.id] = job
        self._tasks[job.id] = asyncio.create_task(self._run(job.id), name=f"export {job.id}")
        return job

    def get(self, job_id: str) -> ExportJob | None:
        self.sweep()
        return self._jobs.get(job_id)

    def _update(self, job_id: str, **changes: object) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            self._jobs[job_id] = replace(job, **changes)  # type: ignore[arg-type]

    async def _run(self, job_id: str) -> None:
        job = self._jobs[job_id]
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._update(job_id, status=ExportStatus.RUNNING)
            self._update(job_id, total_rows=await self._rows.count(job.filter))
            written = await write_export(
                job.format, self._rows, job.filter, self.path(job),
                lambda n: self._update(job_id, rows_written=n),
            )  # fmt: skip
            self._update(job_id, status=ExportStatus.DONE, rows_written=written, finished_at=self._clock())
        except asyncio.CancelledError:
            self._update(job_id, status=ExportStatus.FAILED, error="cancelled", finished_at=self._clock())
            raise
        except Exception as exc:  # the job fails, the API process does not
            log.exception("export %s failed", job_id)
            self._update(
                job_id, status=ExportStatus.FAILED, error=type(exc).__name__, finished_at=self._clock()
            )
        finally:
            self._tasks.pop(job_id, None)

    def sweep(self) -> int:
        """Forgets finished jobs older than the TTL and deletes their files; returns how many."""
        cutoff = self._clock() - self._ttl
        expired = [j for j in self._jobs.values() if j.finished_at is not None and j.finished_at < cutoff]
        for job in expired:
            self.path(job).unlink(missing_ok=True)
            del self._jobs[job.id]
        return len(expired)

    def clear_directory(self) -> None:
        """At start: files of an earlier process belong to no job here."""
        if self._dir.is_dir():
            for leftover in self._dir.glob("transactions-*"):
                leftover.unlink(missing_ok=True)

    async def run_sweeper(self, every_s: float = 600.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            self.sweep()

    async def close(self) -> None:
        """Cancels running jobs (their partial files are removed)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
