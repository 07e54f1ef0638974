"""Staff view of mass payouts: every company's batches (or one company's), one batch with its
lines, its results CSV. The partner API's use cases, without the company restriction; the
permission is the one for viewing transactions (reports.read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api import errors
from api.batch_schemas import BatchLineList, BatchLineOut, BatchLineParams, BatchList, BatchOut, Cursor
from api.batch_service import BatchService, BatchView
from api.batches import checked, results_response
from api.deps import services
from api.staff.auth import require
from api.staff.report_params import CompanyId
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: batches"])
Reader = Annotated[StaffUser, Depends(require(Permission.REPORTS_READ))]


class StaffBatchOut(BatchOut):
    company_id: str
    sandbox: bool

    @classmethod
    def from_staff_view(cls, view: BatchView) -> StaffBatchOut:
        return cls(**BatchOut.from_view(view).model_dump(), company_id=view.header.company_id, sandbox=view.header.sandbox)


class StaffBatchList(BatchList):
    data: list[StaffBatchOut]  # type: ignore[assignment]


class StaffBatchListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: CompanyId | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=100)


def staff_batches(request: Request) -> BatchService:
    batches = services(request).staff.batches
    if batches is None:  # this process does not serve mass payouts
        raise errors.Problem(503, "batches-unavailable", "Mass payouts are not available here")
    return batches




@router.get("/batches", response_model=StaffBatchList)
async def list_batches(request: Request, _user: Reader, params: Annotated[StaffBatchListParams, Query()]) -> StaffBatchList:
    """Newest first, every company's unless `company_id` is given."""
    page = await staff_batches(request).list_batches(params.company_id, params.cursor, params.limit)
    return StaffBatchList(data=[StaffBatchOut.from_staff_view(v) for v in page.batches], next_cursor=page.next_cursor)


@router.get("/batches/{batch_id}", response_model=StaffBatchOut)
async def get_batch(request: Request, batch_id: str, _user: Reader) -> StaffBatchOut:
    return StaffBatchOut.from_staff_view(await staff_batches(request).get(None, checked(batch_id)))


@router.get("/batches/{batch_id}/lines", response_model=BatchLineList)
async def batch_lines(
    request: Request, batch_id: str, _user: Reader, params: Annotated[BatchLineParams, Query()]
) -> BatchLineList:
    status = params.status.value if params.status is not None else None
    page = await staff_batches(request).lines(None, checked(batch_id), status, params.cursor, params.limit)
    return BatchLineList(data=[BatchLineOut.from_line(x) for x in page.lines], next_cursor=page.next_cursor)


@router.get("/batches/{batch_id}/results.csv", response_class=StreamingResponse)
async def batch_results(request: Request, batch_id: str, _user: Reader) -> Response:
    header, chunks = await staff_batches(request).results_csv(None, checked(batch_id))
    return results_response(header.id, chunks)

