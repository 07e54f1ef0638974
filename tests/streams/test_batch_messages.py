"""Batch headers and rejected lines round-trip through their wire encoding; malformed records
are MessageErrors (the sink skips them), never crashes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from domain.batches import BatchFormat, BatchHeader, LineError, RejectedLine
from streams import batch_messages as bm
from streams.messages import MessageError
from tests.builders import T0

HEADER = BatchHeader("bat_1", "cmp_a", "key-1", "hash", BatchFormat.JSON, None, True, "req-1", T0, 3, 2, 1)
REJECTED = RejectedLine("bat_1", "cmp_a", 2, "ext-2", (LineError("/amount/value", "invalid", "too large"),), T0)


def test_round_trips() -> None:
    for header in (HEADER, replace(HEADER, submitted_at=T0 + timedelta(seconds=3), reference="r-1", format=BatchFormat.CSV)):
        assert bm.decode_batch_header(bm.encode_batch_header(header)) == header
    for line in (REJECTED, replace(REJECTED, external_id=None, errors=())):
        assert bm.decode_rejected_line(bm.encode_rejected_line(line)) == line
    assert bm.rejected_line_key(REJECTED) == b"bat_1:2"


def _edited(raw: bytes, **changes: object) -> bytes:
    return orjson.dumps({**orjson.loads(raw), **changes})


@pytest.mark.parametrize("raw", [
    None, b"", b"[]", b'{"v": 2}',
    _edited(bm.encode_batch_header(HEADER), format="xml"),
    _edited(bm.encode_batch_header(HEADER), total_lines=0),
    _edited(bm.encode_batch_header(HEADER), accepted_lines=-1),
    _edited(bm.encode_batch_header(HEADER), accepted_lines="2"),
    _edited(bm.encode_batch_header(HEADER), created_at="yesterday"),
    _edited(bm.encode_batch_header(HEADER), reference=7),
    _edited(bm.encode_batch_header(HEADER), id=None),
])  # fmt: skip
def test_bad_headers_are_message_errors(raw: bytes | None) -> None:
    with pytest.raises(MessageError):
        bm.decode_batch_header(raw)


@pytest.mark.parametrize("changes", [{"line": 0}, {"line": True}, {"errors": "x"}, {"errors": [{}]}, {"at": None}])
def test_bad_rejected_lines_are_message_errors(changes: dict[str, object]) -> None:
    with pytest.raises(MessageError):
        bm.decode_rejected_line(_edited(bm.encode_rejected_line(REJECTED), **changes))
