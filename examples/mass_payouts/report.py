"""The runner's outputs: the per-line report CSV and the summary printed at the end."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from quadra_client import Batch, BatchLine

REPORT_COLUMNS = ("line", "external_id", "status", "order_id", "amount", "currency", "errors")
MINOR_DIGITS = {"JPY": 0, "KRW": 0, "BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3}  # others: 2
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def major(minor: int, currency: str) -> str:
    digits = MINOR_DIGITS.get(currency, 2)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def _cell(text: str | None) -> str:
    """Text from the file (external ids) or the API, made safe to open in a spreadsheet."""
    text = text or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_report(path: Path, lines: Iterable[BatchLine]) -> int:
    """Writes one row per batch line; returns how many."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for line in lines:
            amount = line.amount
            writer.writerow([
                line.line, _cell(line.external_id), line.status, line.order_id or "",
                major(amount.value, amount.currency) if amount else "", amount.currency if amount else "",
                _cell("; ".join(f"{e.pointer}: {e.message}" for e in line.errors)),
            ])  # fmt: skip
            count += 1
    return count


def summary(batch: Batch, report: Path, rows: int) -> str:
    c = batch.counts
    paid = ", ".join(f"{major(t.paid, t.currency)} {t.currency} (fees {major(t.fees, t.currency)})" for t in batch.totals)
    return "\n".join([
        f"batch {batch.id}: {batch.status}",
        f"  lines     {batch.total_lines} = {batch.accepted_lines} accepted + {batch.rejected_lines} rejected",
        f"  orders    {c.completed} completed, {c.failed} failed, {c.declined} declined, {c.rejected} rejected, "
        f"{c.in_review} in review, {c.pending} pending",
        f"  paid      {paid or 'nothing'}",
        f"  report    {report} ({rows} lines)",
    ])  # fmt: skip
