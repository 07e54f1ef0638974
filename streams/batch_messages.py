"""Wire encodings of mass payouts: a batch's header and its rejected lines (compacted topics
`batches` and `batches.lines`; the sink stores them in ClickHouse, analytics/batch_rows.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.batches import BatchFormat, BatchHeader, LineError, RejectedLine
from streams.messages import decoded, dumps, loads


def _count(d: dict[str, Any], name: str, low: int = 0) -> int:
    value = d[name]
    if type(value) is not int or value < low:
        raise ValueError(f"{name} must be an integer from {low}, not {value!r}")
    return value


def _text(d: dict[str, Any], name: str) -> str:
    value = d[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return value


def _optional_text(d: dict[str, Any], name: str) -> str | None:
    value = d.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be text or null")
    return value


def encode_batch_header(h: BatchHeader) -> bytes:
    return dumps({
        "id": h.id, "company_id": h.company_id, "idempotency_key": h.idempotency_key,
        "body_hash": h.body_hash, "format": h.format.value, "reference": h.reference,
        "sandbox": h.sandbox, "request_id": h.request_id, "created_at": h.created_at.isoformat(),
        "total_lines": h.total_lines, "accepted_lines": h.accepted_lines,
        "rejected_lines": h.rejected_lines,
        "submitted_at": h.submitted_at.isoformat() if h.submitted_at else None,
    })  # fmt: skip


def decode_batch_header(raw: bytes | None) -> BatchHeader:
    d = loads(raw)

    def build() -> BatchHeader:
        submitted = _optional_text(d, "submitted_at")
        return BatchHeader(
            id=_text(d, "id"), company_id=_text(d, "company_id"),
            idempotency_key=_text(d, "idempotency_key"), body_hash=_text(d, "body_hash"),
            format=BatchFormat(d["format"]), reference=_optional_text(d, "reference"),
            sandbox=bool(d["sandbox"]), request_id=_text(d, "request_id"),
            created_at=datetime.fromisoformat(_text(d, "created_at")),
            total_lines=_count(d, "total_lines", 1), accepted_lines=_count(d, "accepted_lines"),
            rejected_lines=_count(d, "rejected_lines"),
            submitted_at=datetime.fromisoformat(submitted) if submitted else None,
        )  # fmt: skip

    return decoded("batch header", build)


def errors_to_list(errors: tuple[LineError, ...]) -> list[dict[str, str]]:
    return [{"pointer": e.pointer, "code": e.code, "message": e.message} for e in errors]


def errors_from_list(items: Any) -> tuple[LineError, ...]:
    if not isinstance(items, list):
        raise ValueError("errors must be a list")
    return tuple(LineError(str(e["pointer"]), str(e["code"]), str(e["message"])) for e in items)


def encode_rejected_line(r: RejectedLine) -> bytes:
    return dumps({
        "batch_id": r.batch_id, "company_id": r.company_id, "line": r.line,
        "external_id": r.external_id, "errors": errors_to_list(r.errors), "at": r.at.isoformat(),
    })  # fmt: skip


def decode_rejected_line(raw: bytes | None) -> RejectedLine:
    d = loads(raw)
    return decoded("rejected batch line", lambda: RejectedLine(
        batch_id=_text(d, "batch_id"), company_id=_text(d, "company_id"), line=_count(d, "line", 1),
        external_id=_optional_text(d, "external_id"), errors=errors_from_list(d["errors"]),
        at=datetime.fromisoformat(_text(d, "at")),
    ))  # fmt: skip


def rejected_line_key(r: RejectedLine) -> bytes:
    """One record per line on the compacted topic: a retried batch rewrites the same keys."""
    return f"{r.batch_id}:{r.line}".encode()
