"""An in-memory stand-in for the export rows port, with a gate to hold jobs mid-export."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from analytics.reports.export_rows import ExportRow
from analytics.reports.export_writers import csv_line
from analytics.reports.filters import TransactionFilter


def export_row(n: int, company: str = "cmp_seeded", status: str = "completed") -> ExportRow:
    return (
        f"ord_{n:032x}", company, f"2026-01-01T00:00:{n % 60:02d}.000Z", "2026-01-01T00:01:00.000Z",
        status, "", "card-transfer-eur", "card_transfer", "bank_a", f"{n}.50", "0.10", "EUR",
        f"user-{n}", "4242", f"ext-{n}",
    )  # fmt: skip


@dataclass
class InMemoryExportRows:
    rows: list[ExportRow] = field(default_factory=list)
    chunk_rows: int = 2
    gate: asyncio.Event | None = None  # when set up, chunks wait for it before the first chunk
    fail: bool = False

    def _matching(self, f: TransactionFilter) -> list[ExportRow]:
        return [
            r for r in self.rows
            if (not f.company_ids or r[1] in f.company_ids) and (not f.statuses or r[4] in f.statuses)
        ]  # fmt: skip

    async def count(self, f: TransactionFilter) -> int:
        return len(self._matching(f))

    async def chunks(self, f: TransactionFilter) -> AsyncIterator[list[ExportRow]]:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("ClickHouse went away")
        rows = self._matching(f)
        for i in range(0, len(rows), self.chunk_rows):
            yield rows[i : i + self.chunk_rows]

    async def csv_chunks(self, f: TransactionFilter) -> AsyncIterator[tuple[int, bytes]]:
        async for chunk in self.chunks(f):
            yield len(chunk), b"".join(csv_line(row) for row in chunk)
