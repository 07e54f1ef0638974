"""Reading a `POST /v1/batches` body into its lines: each one an order body validated by the
very schema `POST /v1/orders` uses (OrderCreate), or the errors that refuse it.

A body that is no batch at all (malformed JSON or CSV, an unknown column, no lines, a media
type other than JSON or CSV) is a problem for the whole request, and nothing is written; a bad
line is only that line's errors. The catalog check comes later (api/batch_service.py), on the
same terms as an order's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson
from pydantic import ValidationError

from api import errors
from api.sanitize import mask_cards
from api.schemas import OrderCreate
from domain.batches import (
    IDENTIFIER,
    MAX_LINES,
    BatchFormat,
    BatchTooLarge,
    InvalidBatch,
    LineError,
    csv_column,
    parse_csv,
    safe_external_id,
)
from domain.cards import contains_card_number

_MAX_POINTER = 200


@dataclass(frozen=True, slots=True)
class BatchUpload:
    """What the route hands over: the media type, the raw body, `?reference=` (a JSON body may
    name it instead)."""

    content_type: str
    body: bytes
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ReadLine:
    line: int
    order: OrderCreate | None  # None when the line is refused
    errors: tuple[LineError, ...]
    external_id: str | None  # as it may be stored: None unless a plain identifier


@dataclass(frozen=True, slots=True)
class ReadBatch:
    format: BatchFormat
    reference: str | None
    lines: tuple[ReadLine, ...]
    canonical: bytes  # what the body hash covers: the same batch in other whitespace is the same

    @property
    def good(self) -> list[ReadLine]:
        return [r for r in self.lines if r.order is not None]


def media_format(content_type: str) -> BatchFormat:
    media = content_type.split(";")[0].strip().lower()
    if media == "text/csv":
        return BatchFormat.CSV
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return BatchFormat.JSON
    raise errors.Problem(
        415, "unsupported-media-type", "Unsupported media type",
        f"Send application/json or text/csv (got {media[:60] or 'nothing'}).",
    )  # fmt: skip


def read_batch(upload: BatchUpload) -> ReadBatch:
    """Raises a Problem or a DomainError (4xx) for a body that is not a batch."""
    fmt = media_format(upload.content_type)
    if fmt is BatchFormat.CSV:
        return _read_csv(upload)
    batch = _read_json(upload.body)
    query = _reference(upload.reference, "reference")
    if query is not None and batch.reference not in (None, query):
        raise errors.validation_failed(
            [errors.FieldError("reference", "invalid", "the body names another reference")]
        )
    return replace(batch, reference=batch.reference or query)


def _reference(value: Any, pointer: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not IDENTIFIER.match(value) or contains_card_number(value):
        raise errors.validation_failed([errors.FieldError(
            pointer, "invalid", "1-128 of A-Z, a-z, 0-9 and . _ : @ + - (never a card number)"
        )])  # fmt: skip
    return value


def _read_csv(upload: BatchUpload) -> ReadBatch:
    reference = _reference(upload.reference, "reference")
    read = []
    for line in parse_csv(upload.body):
        order, schema_errors = _validated(line.body)
        told = [e for e in schema_errors if csv_column(e.pointer) not in line.flagged]
        found = (*line.errors, *(LineError(csv_column(e.pointer), e.code, e.message) for e in told))
        external = safe_external_id(line.body.get("external_id"))
        read.append(ReadLine(line.line, None if found else order, found, external))
    return ReadBatch(BatchFormat.CSV, reference, tuple(read), upload.body)


def _read_json(body: bytes) -> ReadBatch:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.malformed_json("The body could not be parsed as JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("lines"), list):
        raise InvalidBatch('Send {"lines": [<order body>, …], "reference": "…"}.', "/lines")
    unknown = sorted(set(document) - {"lines", "reference"})
    if unknown:
        shown = mask_cards(str(unknown[0]))[:64]
        raise InvalidBatch(f"Unknown field {shown!r}: a batch has lines and reference.", "/" + shown)
    lines = document["lines"]
    if len(lines) > MAX_LINES:
        raise BatchTooLarge()
    if not lines:
        raise InvalidBatch("A batch has at least one line.", "/lines")
    reference = _reference(document.get("reference"), "/reference")
    read = []
    for number, item in enumerate(lines, start=1):
        order, found = _validated(item)
        external = safe_external_id(item.get("external_id")) if isinstance(item, dict) else None
        read.append(ReadLine(number, order, tuple(found), external))
    return ReadBatch(BatchFormat.JSON, reference, tuple(read), orjson.dumps(document, option=orjson.OPT_SORT_KEYS))


def _validated(item: Any) -> tuple[OrderCreate | None, list[LineError]]:
    if not isinstance(item, dict):
        return None, [LineError("", "type", "a line is an order body: a JSON object")]
    try:
        return OrderCreate.model_validate(item), []
    except ValidationError as exc:
        return None, [_line_error(e) for e in exc.errors(include_url=False, include_input=False)]


def _line_error(err: Any) -> LineError:
    loc = [str(p) for p in err.get("loc", ())]
    pointer = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc) if loc else ""
    # A hostile key (an unknown field named like a card number) must not come back in clear.
    pointer = mask_cards(pointer)[:_MAX_POINTER]
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return LineError(pointer, str(err.get("type", "invalid")), mask_cards(message)[:500])
