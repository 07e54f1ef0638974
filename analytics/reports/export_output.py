"""Exports as CSV bytes or as a CSV/XLSX file, a chunk at a time, off the event loop.

CSV lines come formatted by ClickHouse (`csv_chunks`); XLSX cells are written by xlsxwriter
from row tuples (`chunks`) in a worker thread. Either way one chunk is in memory at a time.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

from analytics.reports.export_rows import ExportRow
from analytics.reports.export_writers import XlsxFile, csv_header
from analytics.reports.filters import TransactionFilter

FILE_BLOCK = 64 * 1024


class ExportSource(Protocol):
    """What an export reads (ClickHouseExportRows, or a fake)."""

    async def count(self, f: TransactionFilter) -> int: ...

    def chunks(self, f: TransactionFilter) -> AsyncIterable[list[ExportRow]]: ...

    def csv_chunks(self, f: TransactionFilter) -> AsyncIterable[tuple[int, bytes]]:
        """CSV lines (RFC 4180, CRLF, no header) of the same rows, with how many rows each holds."""
        ...


class ExportFormat(str, enum.Enum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def csv_stream(source: ExportSource, f: TransactionFilter) -> AsyncIterator[bytes]:
    yield csv_header()
    async for _rows, data in source.csv_chunks(f):
        yield data


async def write_export(
    fmt: ExportFormat, source: ExportSource, f: TransactionFilter, path: Path,
    on_rows: Callable[[int], None] = lambda n: None,
) -> int:  # fmt: skip
    """Writes the whole export to `path` (complete once this returns; a failed or cancelled
    export leaves no file). Calls `on_rows(rows so far)` after every chunk; returns the count."""
    partial = path.with_name(path.name + ".part")
    written = 0
    try:
        if fmt is ExportFormat.CSV:
            with partial.open("wb") as out:
                await asyncio.to_thread(out.write, csv_header())
                async for rows, data in source.csv_chunks(f):
                    await asyncio.to_thread(out.write, data)
                    written += rows
                    on_rows(written)
        else:
            book = await asyncio.to_thread(XlsxFile, partial, path.parent)
            try:
                async for chunk in source.chunks(f):
                    await asyncio.to_thread(book.write, chunk)
                    written += len(chunk)
                    on_rows(written)
            finally:
                await asyncio.to_thread(book.close)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


async def file_stream(path: Path, delete: bool = False) -> AsyncIterator[bytes]:
    """The file's bytes in blocks; with `delete`, removes it once sent (or abandoned)."""
    try:
        with path.open("rb") as f:
            while block := await asyncio.to_thread(f.read, FILE_BLOCK):
                yield block
    finally:
        if delete:
            path.unlink(missing_ok=True)
