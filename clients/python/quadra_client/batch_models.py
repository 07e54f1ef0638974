"""Mass payouts (`/v1/batches`) as frozen dataclasses; amounts in minor units."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from quadra_client._wire import (
    JSONObject,
    as_object,
    integer,
    objects,
    optional_integer,
    optional_text,
    optional_timestamp,
    text,
    timestamp,
)
from quadra_client.models import Amount, FieldError


class BatchStatus(enum.StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"  # every accepted line's order rests (completed, failed, in review…)


REJECTED_LINE = "rejected_line"  # a line's status when it never became an order


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """Accepted lines by their order's status; `pending`: not resting yet."""

    completed: int = 0
    failed: int = 0
    in_review: int = 0
    declined: int = 0
    rejected: int = 0
    pending: int = 0

    @classmethod
    def from_json(cls, obj: JSONObject) -> BatchCounts:
        known = ("completed", "failed", "in_review", "declined", "rejected", "pending")
        return cls(**{name: optional_integer(obj, name) or 0 for name in known})


@dataclass(frozen=True, slots=True)
class BatchTotal:
    currency: str
    paid: int  # amounts of the completed orders
    fees: int  # their fees

    @classmethod
    def from_json(cls, obj: JSONObject) -> BatchTotal:
        return cls(text(obj, "currency"), integer(obj, "paid"), integer(obj, "fees"))


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    status: str
    reference: str | None
    format: str  # json or csv
    created_at: datetime
    completed_at: datetime | None
    total_lines: int
    accepted_lines: int
    rejected_lines: int
    counts: BatchCounts
    totals: tuple[BatchTotal, ...]

    @property
    def is_completed(self) -> bool:
        return self.status == BatchStatus.COMPLETED

    @classmethod
    def from_json(cls, obj: JSONObject) -> Batch:
        return cls(
            id=text(obj, "id"), status=text(obj, "status"), reference=optional_text(obj, "reference"),
            format=text(obj, "format"), created_at=timestamp(obj, "created_at"),
            completed_at=optional_timestamp(obj, "completed_at"), total_lines=integer(obj, "total_lines"),
            accepted_lines=integer(obj, "accepted_lines"), rejected_lines=integer(obj, "rejected_lines"),
            counts=BatchCounts.from_json(as_object(obj.get("counts", {}), "counts")),
            totals=tuple(BatchTotal.from_json(t) for t in objects(obj, "totals")),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One line of a batch: numbered from 1 (the first data row of a CSV). `status` is its
    order's status, or `rejected_line` with `errors` saying which field was wrong and why."""

    line: int
    external_id: str | None
    status: str
    order_id: str | None
    errors: tuple[FieldError, ...]
    amount: Amount | None

    @property
    def is_rejected(self) -> bool:
        return self.status == REJECTED_LINE

    @classmethod
    def from_json(cls, obj: JSONObject) -> BatchLine:
        amount = obj.get("amount")
        return cls(
            line=integer(obj, "line"), external_id=optional_text(obj, "external_id"),
            status=text(obj, "status"), order_id=optional_text(obj, "order_id"),
            errors=tuple(FieldError.from_json(e) for e in objects(obj, "errors")) if obj.get("errors") else (),
            amount=None if amount is None else Amount.from_json(as_object(amount, "amount")),
        )  # fmt: skip
