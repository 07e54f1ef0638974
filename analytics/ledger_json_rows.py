"""`ledger_entries` rows computed by ClickHouse from `ledger.entries` messages: the SQL twin of
`decode_entry` + `ledger_entry_row` (analytics/json_rows.py says how the twins stay equal).

An entry's message is its row plus the schema version, so the SQL mostly checks what the
decoder checks: exactly the entry's fields (`Entry(**d)` refuses any other), known kinds and
accounts, a timestamp `fromisoformat` reads.
"""

from __future__ import annotations

from analytics.json_rows import JsonRows, JsonTable, iso_time, iso_time_ok, one_of
from analytics.ledger_rows import LEDGER_ENTRY_COLUMNS
from domain.ledger import EntryKind, LedgerAccount

_TEXT = ("entry_id", "company_id", "currency", "kind", "source", "target", "at", "order_id",
         "command_id", "reason", "actor")  # fmt: skip

LEDGER_ENTRY_FROM_JSON = JsonRows(
    name="ledger_entries",
    structure=(
        "v UInt8, entry_id String, company_id String, currency String, kind String, amount Int64, "
        "source String, target String, at String, order_id String, command_id String, "
        "reason String, actor String, available_after Int64, reserved_after Int64"
    ),
    tables=(JsonTable("ledger_entries", LEDGER_ENTRY_COLUMNS, (
        "entry_id", "company_id", "currency", "kind", "amount", "source", "target", iso_time("at", 3),
        "order_id", "command_id", "reason", "actor", "available_after", "reserved_after",
    )),),  # fmt: skip
    check=" AND ".join((
        "v = 1",  # read (never used otherwise) so that it counts as a known field
        one_of("kind", (k.value for k in EntryKind)),
        one_of("source", (a.value for a in LedgerAccount)),
        one_of("target", (a.value for a in LedgerAccount)),
        iso_time_ok("at"),
        f"isValidUTF8(concatWithSeparator('\\n', {', '.join(_TEXT)}))",  # else orjson refuses it
    )),  # fmt: skip
    # `Entry(**d)` takes no other field: a message with one more is the decoder's to refuse.
    settings={"input_format_skip_unknown_fields": 0},
)
