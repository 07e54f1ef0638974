"""ledger_entries rows computed by ClickHouse from `ledger.entries` JSON equal what the decode
path stores; a message the decoder refuses (or the SQL might store otherwise) fails the insert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from analytics.clickhouse import ClickHouse
from analytics.ledger_json_rows import LEDGER_ENTRY_FROM_JSON
from analytics.ledger_rows import ledger_entry_row
from analytics.migrate import migrate
from domain.ledger import Entry, EntryKind, LedgerAccount
from streams.ledger_messages import decode_entry, encode_entry
from streams.messages import MessageError
from tests.analytics.json_rows_helpers import second_database, store_both_ways

T0 = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def _entry(n: int, **changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "entry_id": f"ord_{n}:reserve", "company_id": "cmp_a", "currency": "EUR",
        "kind": EntryKind.RESERVE, "amount": 1500 + n, "source": LedgerAccount.AVAILABLE,
        "target": LedgerAccount.RESERVED, "at": T0 + timedelta(seconds=n), "order_id": f"ord_{n}",
        "command_id": "", "reason": "", "actor": "", "available_after": 10_000 - n,
        "reserved_after": n,
    }  # fmt: skip
    return encode_entry(Entry(**(fields | changes)))


def _tricky() -> list[bytes]:
    return [
        _entry(0),
        _entry(1, kind=EntryKind.TOP_UP, source=LedgerAccount.FUNDING, target=LedgerAccount.AVAILABLE,
               order_id="", command_id="cmd-1", reason='wire "ref" 42 \\ é ✓\n', actor="staff/1"),
        _entry(2, kind=EntryKind.FEE, target=LedgerAccount.FEES, available_after=-2_000,
               at=datetime(2026, 11, 26, 14, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2)))),
        _entry(3, kind=EntryKind.ADJUSTMENT, source=LedgerAccount.ADJUSTMENTS, amount=10**17,
               at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ]  # fmt: skip


async def test_rows_equal_the_decoded_rows(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    values = _tricky()
    with second_database(clickhouse_dsn) as slow:
        found = store_both_ways(clickhouse, slow, values, LEDGER_ENTRY_FROM_JSON, decode_entry,
                                {"ledger_entries": ledger_entry_row})  # fmt: skip
    fast, python = found["ledger_entries"]
    assert fast == python and len(fast) == len(values)


_GOOD = orjson.loads(_entry(5))


def _with(**fields: Any) -> bytes:
    return orjson.dumps(_GOOD | fields)


DECODER_REFUSES = {
    "unknown kind": _with(kind="gift"),
    "unknown account": _with(target="moon"),
    "a field more": _with(note="x"),
    "a field less": orjson.dumps({k: v for k, v in _GOOD.items() if k != "amount"}),
    "not a time": _with(at="yesterday"),
    "30 February": _with(at="2026-02-30T12:00:00+00:00"),
    "invalid UTF-8": _with(reason="x").replace(b'"x"', b'"\xff"'),
}
UNSUPPORTED = {  # stored alike, or not at all, by the decode path: the SQL refuses them
    "Z for UTC": _with(at="2026-11-26T12:00:00Z"),
    "a number for a text": _with(reason=5),
}


@pytest.mark.parametrize("bad", [*DECODER_REFUSES.values(), *UNSUPPORTED.values()],
                         ids=[*DECODER_REFUSES, *UNSUPPORTED])  # fmt: skip
async def test_a_message_the_sql_cannot_store_exactly_fails_the_insert(
    clickhouse: ClickHouse, bad: bytes
) -> None:
    migrate(clickhouse)
    with pytest.raises(Exception):  # noqa: B017 - whatever ClickHouse raises: the sink decodes
        await clickhouse.insert_from_json([_entry(6), bad], LEDGER_ENTRY_FROM_JSON)


@pytest.mark.parametrize("message", DECODER_REFUSES.values(), ids=DECODER_REFUSES.keys())
def test_the_decoder_refuses_these(message: bytes) -> None:
    with pytest.raises(MessageError):
        decode_entry(message)
