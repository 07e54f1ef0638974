"""CSV and XLSX encodings of export rows, a chunk at a time (constant memory).

The rows arrive as finished text (see export_rows: formula-like text already starts with `'`,
so opening an export never executes partner-supplied text; amounts are exact decimals).

CSV: RFC 4180 (comma, double quotes, CRLF), UTF-8. The lines come formatted by ClickHouse
(see export_rows.csv_chunks); only the header is written here.

XLSX: xlsxwriter in constant-memory mode (rows streamed to a temporary file, zipped at close).
Text is always written as string cells, never as formulas; amounts are number cells whose XML
text is the exact decimal (no float on the way), formatted with the currency's decimals.
A sheet holds at most 1,048,576 rows; larger exports continue on further sheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from analytics.reports.export_rows import AMOUNT_COLUMNS, CURRENCY_COLUMN, EXPORT_COLUMNS, ExportRow
from domain.money import CURRENCY_EXPONENTS

_TEXT_COLUMNS = tuple(i for i in range(len(EXPORT_COLUMNS)) if i not in AMOUNT_COLUMNS)
XLSX_SHEET_ROWS = 1_048_576  # Excel's limit, header included
_EXACT_DIGITS = 15  # up to this many digits a number cell keeps every one in Excel


def csv_line(cells: Iterable[str]) -> bytes:
    """One CSV record (RFC 4180, CRLF) with Python's csv module."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def csv_header() -> bytes:
    return csv_line(EXPORT_COLUMNS)


class XlsxFile:
    """An XLSX file written row by row to `path`; complete once `close()` returns."""

    def __init__(self, path: Path, tmpdir: Path | None = None) -> None:
        options: dict[str, Any] = {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        }
        if tmpdir is not None:
            options["tmpdir"] = str(tmpdir)
        self._book = xlsxwriter.Workbook(str(path), options)
        self._bold = self._book.add_format({"bold": True})
        self._amount_formats = {
            exponent: self._book.add_format({"num_format": "0." + "0" * exponent if exponent else "0"})
            for exponent in set(CURRENCY_EXPONENTS.values()) | {2}
        }
        self._sheets = 0
        self._sheet: Any = None
        self._row = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = "transactions" if self._sheets == 1 else f"transactions {self._sheets}"
        self._sheet = self._book.add_worksheet(name)
        for col, title in enumerate(EXPORT_COLUMNS):
            self._sheet.write_string(0, col, title, self._bold)
        self._row = 1

    def write(self, rows: Iterable[ExportRow]) -> None:
        for row in rows:
            if self._row >= XLSX_SHEET_ROWS:
                self._new_sheet()
            self._write_row(row)

    def _write_row(self, row: ExportRow) -> None:
        sheet, r = self._sheet, self._row
        for col in _TEXT_COLUMNS:
            text = row[col]
            if text.startswith("<r>") and text.endswith("</r>"):
                text = "'" + text  # xlsxwriter would copy this one verbatim into the XML
            sheet.write_string(r, col, text)
        currency = row[CURRENCY_COLUMN]
        number_format = self._amount_formats.get(CURRENCY_EXPONENTS.get(currency, 2))
        for col in AMOUNT_COLUMNS:
            amount = row[col]
            if len(amount) - amount.count("-") - amount.count(".") <= _EXACT_DIGITS:
                sheet.write_number(r, col, Decimal(amount), number_format)
            else:
                sheet.write_string(r, col, amount)
        self._row += 1

    def close(self) -> None:
        self._book.close()
