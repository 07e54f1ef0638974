"""Wire schemas of mass payouts (`/v1/batches`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.batch_service import BatchView
from api.schemas import AmountOut
from domain.batches import PENDING_LINE, REJECTED_LINE, BatchLine
from domain.orders import OrderStatus

Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
LineStatus = enum.Enum(  # type: ignore[misc]
    "LineStatus", {s.name: s.value for s in OrderStatus} | {"REJECTED_LINE": REJECTED_LINE}, type=str
)


class BatchCountsOut(BaseModel):
    completed: int
    failed: int
    in_review: int
    declined: int
    rejected: int
    pending: int = Field(description="Good lines whose order has not reached a resting status yet.")


class BatchTotalOut(BaseModel):
    currency: str
    paid: int = Field(description="Minor units: the amounts of the batch's completed orders.")
    fees: int = Field(description="Minor units: their fees, charged on top.")


class BatchOut(BaseModel):
    id: str
    object: Literal["batch"] = "batch"
    status: Literal["processing", "completed"] = Field(
        description="completed: every good line's order rests (completed, failed, declined, rejected, in_review)."
    )
    reference: str | None
    format: Literal["json", "csv"]
    created_at: datetime
    completed_at: datetime | None
    total_lines: int
    accepted_lines: int = Field(description="Lines that became orders.")
    rejected_lines: int = Field(description="Lines refused with their errors (GET …/lines?status=rejected_line).")
    counts: BatchCountsOut
    totals: list[BatchTotalOut]

    @classmethod
    def from_view(cls, view: BatchView) -> BatchOut:
        h, p = view.header, view.progress
        return cls(
            id=h.id, status=p.status.value, reference=h.reference, format=h.format.value,
            created_at=h.created_at, completed_at=p.completed_at, total_lines=h.total_lines,
            accepted_lines=h.accepted_lines, rejected_lines=h.rejected_lines,
            counts=BatchCountsOut(**p.counts),
            totals=[BatchTotalOut(currency=t.currency, paid=t.paid, fees=t.fees) for t in p.totals],
        )  # fmt: skip


class BatchList(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next, older page.")


class BatchListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Cursor | None = None
    limit: int = Field(20, ge=1, le=100)


class LineErrorOut(BaseModel):
    pointer: str = Field(description="A CSV column name, or a JSON pointer into the line's order body.")
    code: str
    message: str


class BatchLineOut(BaseModel):
    line: int = Field(description="1 = the first line (CSV: the first data row; blank rows are not counted).")
    external_id: str | None
    status: str = Field(
        description=f"The order's status, `{REJECTED_LINE}` (no order: see errors) or `{PENDING_LINE}` "
        "(a good line whose order is not stored yet). New values may appear."
    )
    order_id: str | None
    errors: list[LineErrorOut]
    amount: AmountOut | None

    @classmethod
    def from_line(cls, line: BatchLine) -> BatchLineOut:
        amount = AmountOut(value=line.amount.value, currency=line.amount.currency) if line.amount else None
        return cls(
            line=line.line, external_id=line.external_id, status=line.status, order_id=line.order_id,
            errors=[LineErrorOut(pointer=e.pointer, code=e.code, message=e.message) for e in line.errors],
            amount=amount,
        )  # fmt: skip


class BatchLineList(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchLineOut] = Field(description="In line order.")
    next_cursor: str | None


class BatchLineParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LineStatus | None = None
    cursor: Cursor | None = None
    limit: int = Field(100, ge=1, le=1000)
