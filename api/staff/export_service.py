"""Use cases behind transaction exports: small ones streamed in the response, large ones as
background jobs (progress, then a download link). Every export and download is audited.

Only the staff user who started a job (or an admin) sees it: to anyone else it does not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.reports.export_output import ExportFormat, ExportSource, csv_stream, file_stream, write_export
from analytics.reports.filters import TransactionFilter
from api.staff.export_jobs import ExportJob, ExportJobs, ExportStatus
from domain.audit import AuditTrail
from domain.errors import Conflict, DomainError, NotFound
from domain.staff import Role, StaffActor, StaffUser

DIRECT_LIMIT = 100_000


class ExportTooLarge(DomainError):
    status = 422
    slug = "export-too-large"
    title = "Too many rows to export in one response"


@dataclass(frozen=True, slots=True)
class DirectExport:
    rows: int
    body: AsyncIterator[bytes]


def filter_details(f: TransactionFilter) -> dict[str, Any]:
    """The filter for the audit log: only what was set, as JSON-friendly values."""
    details: dict[str, Any] = {}
    for spec in fields(f):
        value = getattr(f, spec.name)
        if value is None or value == ():
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        details[spec.name] = list(value) if isinstance(value, tuple) else value
    return details


def _company(f: TransactionFilter) -> str:
    return f.company_ids[0] if len(f.company_ids) == 1 else ""


class TransactionExports:
    def __init__(
        self,
        rows: ExportSource,
        jobs: ExportJobs,
        audit: AuditTrail,
        scratch_dir: Path,
        direct_limit: int = DIRECT_LIMIT,
    ) -> None:
        self._rows = rows
        self._jobs = jobs
        self._audit = audit
        self._scratch = scratch_dir
        self._direct_limit = direct_limit

    @property
    def direct_limit(self) -> int:
        """The most rows one direct (streamed) export sends; more need a background job."""
        return self._direct_limit

    async def direct(self, actor: StaffActor, fmt: ExportFormat, f: TransactionFilter) -> DirectExport:
        """The export as the response body; ExportTooLarge beyond `direct_limit` rows."""
        total = await self._rows.count(f)
        if total > self._direct_limit:
            raise ExportTooLarge(
                f"{total} rows match (at most {self._direct_limit} in one response): "
                "start a background export with POST /staff/v1/exports"
            )
        await self._audit.record(
            actor.audit("report.export", "transactions", _company(f),
                        {"format": fmt.value, "rows": total, "filter": filter_details(f)})
        )  # fmt: skip
        if fmt is ExportFormat.CSV:
            return DirectExport(total, csv_stream(self._rows, f))
        # An XLSX file is a zip: written in full (constant memory, on disk), then sent.
        self._scratch.mkdir(parents=True, exist_ok=True)
        path = self._scratch / f"transactions-direct-{secrets.token_hex(8)}.xlsx"
        await write_export(fmt, self._rows, f, path)
        return DirectExport(total, file_stream(path, delete=True))

    async def start(self, actor: StaffActor, fmt: ExportFormat, f: TransactionFilter) -> ExportJob:
        job = self._jobs.start(actor.user.id, fmt, f)
        await self._audit.record(
            actor.audit("export.create", job.id, _company(f), {"format": fmt.value, "filter": filter_details(f)})
        )
        return job

    def job(self, user: StaffUser, job_id: str) -> ExportJob:
        job = self._jobs.get(job_id)
        if job is None or (job.owner_id != user.id and user.role is not Role.ADMIN):
            raise NotFound(f"no export {job_id}")
        return job

    async def download(self, actor: StaffActor, job_id: str) -> tuple[ExportJob, Path]:
        job = self.job(actor.user, job_id)
        if job.status is not ExportStatus.DONE:
            raise Conflict(f"export {job_id} is {job.status.value}, not done")
        path = self._jobs.path(job)
        if not path.is_file():
            raise NotFound(f"the file of export {job_id} has expired")
        await self._audit.record(
            actor.audit("export.download", job.id, _company(job.filter),
                        {"format": job.format.value, "rows": job.rows_written})
        )  # fmt: skip
        return job, path
