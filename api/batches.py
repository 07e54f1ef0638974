"""Mass payout routes: decode, call one use case, encode."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from api import errors
from api.batch_schemas import BatchLineList, BatchLineOut, BatchLineParams, BatchList, BatchListParams, BatchOut
from api.batch_service import BatchService
from api.batch_upload import BatchUpload
from api.deps import authenticate, idempotency_key, services
from domain.batches import CSV_COLUMNS, MAX_LINES
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["batches"])
BATCH_ID = re.compile(r"^bat_[0-9a-f]{32}$")
_REFERENCE = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[A-Za-z0-9._:@+\-]+$"}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            f"1 to {MAX_LINES} lines. JSON: each line is an order body exactly as POST /v1/orders "
            "takes it. CSV (UTF-8, optional BOM, comma separated, RFC 4180 quoting): a header row "
            f"naming these columns in any order: {', '.join(CSV_COLUMNS)}; `amount` in major "
            "units with a dot (10.50); exactly one of card_number, phone, email per line."
        ),
        "content": {
            "application/json": {"schema": {
                "type": "object", "additionalProperties": False, "required": ["lines"],
                "properties": {
                    "lines": {"type": "array", "minItems": 1, "maxItems": MAX_LINES,
                              # the order route's body schema (POST /v1/orders puts it there)
                              "items": {"$ref": "#/components/schemas/OrderCreate"}},
                    "reference": _REFERENCE,
                },
            }},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}  # fmt: skip


def _batches(request: Request) -> BatchService:
    batches = services(request).batches
    if batches is None:  # this process does not serve mass payouts
        raise errors.Problem(503, "batches-unavailable", "Mass payouts are not available here")
    return batches


def checked(batch_id: str) -> str:
    if not BATCH_ID.match(batch_id):
        raise errors.not_found("No such batch for this key")  # never echo: it may be anything
    return batch_id


@router.post(
    "/batches",
    status_code=202,
    response_model=BatchOut,
    responses={200: {"description": "Replay: same key and body"}},
    openapi_extra=_BODY,
)
async def create_batch(
    request: Request,
    response: Response,
    key: Annotated[ApiKey, Depends(authenticate)],
    idem_key: Annotated[str, Depends(idempotency_key)],
    reference: Annotated[
        str | None, Query(max_length=128, description="The batch's reference (a JSON body may name it instead).")
    ] = None,
) -> BatchOut:
    """Pay many end users at once: every good line becomes an order (idempotency key
    `batch:<batch id>:<line>`), bad lines are rejected with their errors, and the answer comes
    once every good line has been admitted. Retry with the same Idempotency-Key and body after
    any failure: nothing is paid twice."""
    upload = BatchUpload(request.headers.get("content-type", ""), await request.body(), reference)
    result = await _batches(request).create(
        key, idem_key, upload, request.state.request_id, request.state.received_at
    )
    response.status_code = result.http_status
    response.headers["Location"] = f"/v1/batches/{result.batch.header.id}"
    return BatchOut.from_view(result.batch)


@router.get("/batches", response_model=BatchList)
async def list_batches(
    request: Request, key: Annotated[ApiKey, Depends(authenticate)], params: Annotated[BatchListParams, Query()]
) -> BatchList:
    page = await _batches(request).list_batches(key.company_id, params.cursor, params.limit)
    return BatchList(data=[BatchOut.from_view(v) for v in page.batches], next_cursor=page.next_cursor)


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get_batch(request: Request, batch_id: str, key: Annotated[ApiKey, Depends(authenticate)]) -> BatchOut:
    return BatchOut.from_view(await _batches(request).get(key.company_id, checked(batch_id)))


@router.get("/batches/{batch_id}/lines", response_model=BatchLineList)
async def batch_lines(
    request: Request,
    batch_id: str,
    key: Annotated[ApiKey, Depends(authenticate)],
    params: Annotated[BatchLineParams, Query()],
) -> BatchLineList:
    status = params.status.value if params.status is not None else None
    page = await _batches(request).lines(key.company_id, checked(batch_id), status, params.cursor, params.limit)
    return BatchLineList(data=[BatchLineOut.from_line(x) for x in page.lines], next_cursor=page.next_cursor)


@router.get(
    "/batches/{batch_id}/results.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "line,external_id,status,order_id,reason — one row per line"}},
)  # fmt: skip
async def batch_results(request: Request, batch_id: str, key: Annotated[ApiKey, Depends(authenticate)]) -> Response:
    header, chunks = await _batches(request).results_csv(key.company_id, checked(batch_id))
    return results_response(header.id, chunks)



def results_response(batch_id: str, chunks: AsyncIterator[str]) -> StreamingResponse:
    """The results CSV, streamed a chunk of lines at a time."""

    async def body() -> AsyncIterator[bytes]:
        async for chunk in chunks:
            yield chunk.encode()

    disposition = f'attachment; filename="{batch_id}-results.csv"'
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
