"""Mass payout rows: a batch header and a rejected line, as the sink stores them."""

from __future__ import annotations

from typing import Any

import orjson

from domain.batches import BatchHeader, RejectedLine
from streams.batch_messages import errors_to_list

BATCH_COLUMNS = (
    "batch_id", "company_id", "idempotency_key", "body_hash", "format", "reference", "sandbox",
    "request_id", "created_at", "submitted_at", "total_lines", "accepted_lines", "rejected_lines",
    "version",
)  # fmt: skip

REJECTED_LINE_COLUMNS = ("batch_id", "company_id", "line", "external_id", "errors", "at")


def batch_row(h: BatchHeader) -> tuple[Any, ...]:
    return (
        h.id, h.company_id, h.idempotency_key, h.body_hash, h.format.value, h.reference or "",
        int(h.sandbox), h.request_id, h.created_at, h.submitted_at, h.total_lines, h.accepted_lines,
        h.rejected_lines, h.version,
    )  # fmt: skip


def rejected_line_row(r: RejectedLine) -> tuple[Any, ...]:
    errors = orjson.dumps(errors_to_list(r.errors)).decode()
    return (r.batch_id, r.company_id, r.line, r.external_id or "", errors, r.at)
