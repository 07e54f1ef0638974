"""Ledger rows: one `ledger.entries` message becomes one `ledger_entries` row (statements)."""

from __future__ import annotations

from typing import Any

from domain.ledger import Entry

LEDGER_ENTRY_COLUMNS = (
    "entry_id", "company_id", "currency", "kind", "amount", "source", "target", "at",
    "order_id", "command_id", "reason", "actor", "available_after", "reserved_after",
)  # fmt: skip


def ledger_entry_row(entry: Entry) -> tuple[Any, ...]:
    return (
        entry.entry_id, entry.company_id, entry.currency, entry.kind.value, entry.amount,
        entry.source.value, entry.target.value, entry.at, entry.order_id, entry.command_id,
        entry.reason, entry.actor, entry.available_after, entry.reserved_after,
    )  # fmt: skip
