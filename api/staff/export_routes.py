"""Staff routes for transaction exports: decode, call one use case, encode.

- `GET /reports/transactions.csv|.xlsx?…` — the report's filter, streamed as a file
  (up to the direct limit; beyond it a 422 `export-too-large` points to export jobs).
- `POST /exports` {format, …filter} — 202 with the job; poll `GET /exports/{id}` for progress;
  once `done`, `GET /exports/{id}/download`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from analytics.reports.export_output import ExportFormat
from api import errors
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.export_jobs import ExportJob, ExportStatus
from api.staff.export_service import TransactionExports
from api.staff.report_params import TransactionFilterParams
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: exports"])
Reader = Annotated[StaffUser, Depends(require(Permission.REPORTS_READ))]
Json = Annotated[None, Depends(require_json)]
FilterQuery = Annotated[TransactionFilterParams, Query()]
_EXPORT_ID = re.compile(r"^exp_[0-9a-f]{32}$")


class ExportCreate(TransactionFilterParams):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: ExportFormat


class ExportOut(BaseModel):
    id: str
    format: ExportFormat
    status: ExportStatus
    progress: int  # percent of the rows counted at the start
    rows_written: int
    total_rows: int | None
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    download_url: str | None  # once done

    @classmethod
    def from_job(cls, job: ExportJob) -> ExportOut:
        done = job.status is ExportStatus.DONE
        return cls(
            id=job.id, format=job.format, status=job.status, progress=job.progress,
            rows_written=job.rows_written, total_rows=job.total_rows, created_at=job.created_at,
            finished_at=job.finished_at, error=job.error or None,
            download_url=f"/staff/v1/exports/{job.id}/download" if done else None,
        )  # fmt: skip


def _exports(request: Request) -> TransactionExports:
    exports = services(request).staff.exports
    if exports is None:
        raise errors.Problem(503, "exports-unavailable", "Exports are not available here")
    return exports


def _export_id(export_id: str) -> str:
    if not _EXPORT_ID.match(export_id):
        raise errors.not_found(f"No export {export_id[:70]}")
    return export_id


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


async def _direct(
    request: Request, user: StaffUser, fmt: ExportFormat, params: TransactionFilterParams
) -> StreamingResponse:
    export = await _exports(request).direct(acting(request, user), fmt, params.to_filter())
    stamp = request.state.received_at.strftime("%Y%m%dT%H%M%SZ")
    headers = _attachment(f"transactions-{stamp}.{fmt.value}") | {"X-Total-Count": str(export.rows)}
    return StreamingResponse(export.body, media_type=fmt.media_type, headers=headers)


@router.get("/reports/transactions.csv", response_class=StreamingResponse)
async def export_csv(request: Request, user: Reader, params: FilterQuery) -> StreamingResponse:
    """The filtered transactions as CSV (RFC 4180, UTF-8), in sort-key order."""
    return await _direct(request, user, ExportFormat.CSV, params)


@router.get("/reports/transactions.xlsx", response_class=StreamingResponse)
async def export_xlsx(request: Request, user: Reader, params: FilterQuery) -> StreamingResponse:
    """The filtered transactions as an XLSX workbook."""
    return await _direct(request, user, ExportFormat.XLSX, params)


@router.post("/exports", status_code=202, response_model=ExportOut)
async def start_export(
    request: Request, response: Response, user: Reader, _json: Json, body: ExportCreate
) -> ExportOut:
    job = await _exports(request).start(acting(request, user), body.format, body.to_filter("/"))
    response.headers["Location"] = f"/staff/v1/exports/{job.id}"
    return ExportOut.from_job(job)


@router.get("/exports/{export_id}", response_model=ExportOut)
async def get_export(request: Request, export_id: str, user: Reader) -> ExportOut:
    return ExportOut.from_job(_exports(request).job(user, _export_id(export_id)))


@router.get("/exports/{export_id}/download", response_class=FileResponse)
async def download_export(request: Request, export_id: str, user: Reader) -> FileResponse:
    job, path = await _exports(request).download(acting(request, user), _export_id(export_id))
    return FileResponse(path, media_type=job.format.media_type, headers=_attachment(job.filename))
