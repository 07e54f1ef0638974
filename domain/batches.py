"""Mass payouts (`POST /v1/batches`): a batch's lines, its header, and its progress.

A batch is up to 10,000 order bodies, as JSON or as CSV. This module reads CSV into the same
order bodies `POST /v1/orders` takes (the API then validates each exactly as an order), turns
decimal amounts into minor units with integer arithmetic (never a float), and rolls the states
of a batch's orders up into its progress. Pure: no I/O, nothing of ours but the domain.

CSV: UTF-8 (an optional BOM), `,` separated, RFC 4180 quoting, a header row naming columns in
any order (names trimmed, case ignored). Blank lines are skipped and not numbered; line 1 is
the first data row. A line's errors point at its columns by name (`amount`, `card_number`);
a JSON line's errors are JSON pointers into its order body (`/amount/value`). No error ever
quotes a value: a card number typed into the wrong column must not come back in clear.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.cards import contains_card_number
from domain.errors import DomainError
from domain.money import CURRENCY_EXPONENTS, Money

MAX_LINES = 10_000
MAX_CELL_CHARS = 256  # the longest field an order takes is an e-mail address (254)
CSV_COLUMNS = (
    "external_id", "product_id", "amount", "currency", "card_number", "phone", "email", "end_user_id",
)  # fmt: skip
REQUIRED_COLUMNS = ("product_id", "amount", "currency", "end_user_id")
RECIPIENT_COLUMNS = ("card_number", "phone", "email")
RESULT_COLUMNS = ("line", "external_id", "status", "order_id", "reason")
REJECTED_LINE = "rejected_line"  # a line's status when it became no order
PENDING_LINE = "pending"  # a good line whose order has not been seen yet
# Order statuses after which nothing happens without outside help (domain.orders.RESTING_STATUSES).
RESTING = ("completed", "failed", "in_review", "declined", "rejected")
_AMOUNT = re.compile(r"^([0-9]{1,15})(?:\.([0-9]{1,15}))?$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9._:@+\-]{1,128}$")  # api.schemas.Identifier
# Where an order body's JSON pointers land in a CSV line.
_COLUMN_OF_POINTER = {
    "/product_id": "product_id", "/amount/value": "amount", "/amount": "amount",
    "/amount/currency": "currency", "/recipient/card_number": "card_number",
    "/recipient/phone": "phone", "/recipient/email": "email", "/recipient": "recipient",
    "/end_user/id": "end_user_id", "/end_user": "end_user_id", "/external_id": "external_id",
}  # fmt: skip


class BatchFormat(str, enum.Enum):
    JSON = "json"
    CSV = "csv"


class BatchStatus(str, enum.Enum):
    PROCESSING = "processing"
    COMPLETED = "completed"  # every good line's order rests (completed, failed, declined, ...)


class MalformedCsv(DomainError):
    status = 400
    slug = "malformed-csv"
    title = "Request body is not readable CSV"


class InvalidBatch(DomainError):
    """A body that is no batch at all: no header, unknown columns, no lines."""

    status = 422
    slug = "validation-failed"
    title = "Request is invalid"


class BatchTooLarge(DomainError):
    status = 413
    slug = "batch-too-large"
    title = "Too many lines"

    def __init__(self) -> None:
        super().__init__(f"A batch holds at most {MAX_LINES} lines: split it.", "/lines")


@dataclass(frozen=True, slots=True)
class LineError:
    pointer: str  # a CSV column name, or a JSON pointer into a JSON line's order body
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CsvLine:
    """One data row as an order body (what POST /v1/orders would take), plus the faults found
    while reading it. `flagged`: columns whose faults are told here, so the order schema's
    complaints about them (a value left out because it could not be read) add nothing."""

    line: int
    body: dict[str, Any]
    errors: tuple[LineError, ...] = ()
    flagged: frozenset[str] = frozenset()


def line_idempotency_key(batch_id: str, line: int) -> str:
    """The order's Idempotency-Key: a retried batch submits the same keys and pays nothing twice."""
    return f"batch:{batch_id}:{line}"


def csv_column(pointer: str) -> str:
    """The CSV column an order body's JSON pointer names ('line' for the whole line)."""
    return _COLUMN_OF_POINTER.get(pointer, "line")


def minor_units(text: str, currency: str) -> int:
    """'10.50' EUR → 1050, '10' → 1000, '10.5' → 1050; raises ValueError (words a partner can
    act on, never quoting the text) for anything else, or more decimals than the currency has."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        raise ValueError("unknown currency")
    found = _AMOUNT.match(text)
    if found is None:
        raise ValueError("not an amount: write it like 10.50 (digits, a dot before the decimals)")
    units, decimals = found.group(1), found.group(2) or ""
    if len(decimals) > exponent:
        raise ValueError(f"too many decimals: {currency} has {exponent}")
    return int(units) * 10**exponent + int(decimals.ljust(exponent, "0") or "0")


def parse_csv(raw: bytes) -> list[CsvLine]:
    """The batch's lines; raises MalformedCsv, InvalidBatch or BatchTooLarge for a body that is
    not a batch (every line's own faults are in its CsvLine instead)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCsv("The body is not UTF-8 text.") from None
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    lines: list[CsvLine] = []
    try:
        header = _header(next((r for r in rows if not _blank(r)), None))
        for row in rows:
            if _blank(row):
                continue
            if len(lines) == MAX_LINES:
                raise BatchTooLarge()
            lines.append(_line(len(lines) + 1, header, row))
    except csv.Error as exc:  # unbalanced quotes, a stray quote, a field beyond the csv module's limit
        raise MalformedCsv(f"Not RFC 4180 CSV near data line {len(lines) + 1}: {_csv_fault(exc)}.") from None
    if not lines:
        raise InvalidBatch("The file has a header but no lines.", "/lines")
    return lines


def _blank(row: list[str]) -> bool:
    return all(not cell.strip() for cell in row)


def _csv_fault(exc: csv.Error) -> str:
    words = str(exc)
    return "a field is too long" if "field larger" in words else "unbalanced or stray quotes"


def _header(row: list[str] | None) -> tuple[str, ...]:
    if row is None:
        raise InvalidBatch("The body is empty: send a header row and lines.", "header")
    names = tuple(cell.strip().lower() for cell in row)
    for index, name in enumerate(names):
        if name not in CSV_COLUMNS:
            shown = name[:40] if name and not contains_card_number(name) else f"#{index + 1}"
            raise InvalidBatch(
                f"Unknown column {shown!r}: the columns are {', '.join(CSV_COLUMNS)}.", f"header/{index}"
            )
        if names.index(name) != index:
            raise InvalidBatch(f"Column {name!r} appears twice.", f"header/{index}")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InvalidBatch(f"Missing columns: {', '.join(missing)}.", "header")
    if not any(c in names for c in RECIPIENT_COLUMNS):
        raise InvalidBatch("Give at least one of the columns card_number, phone, email.", "header")
    return names


def _line(number: int, header: tuple[str, ...], row: list[str]) -> CsvLine:
    errors: list[LineError] = []
    if len(row) != len(header):
        errors.append(LineError("line", "field_count", f"{len(row)} fields where the header has {len(header)}"))
    cells: dict[str, str] = {}
    for name, value in zip(header, row):
        value = value.strip()
        if len(value) > MAX_CELL_CHARS:
            errors.append(LineError(name, "too_long", f"longer than {MAX_CELL_CHARS} characters"))
        elif value:
            cells[name] = value
    amount: dict[str, Any] = {}
    flagged = {e.pointer for e in errors}
    if "currency" in cells:
        amount["currency"] = cells["currency"]
    if "amount" in cells and "currency" in cells:
        try:
            amount["value"] = minor_units(cells["amount"], cells["currency"])
        except ValueError as fault:
            at = "currency" if str(fault) == "unknown currency" else "amount"
            errors.append(LineError(at, "invalid", str(fault)))
            flagged |= {"amount", "currency"}
    elif "amount" in cells:
        flagged.add("amount")  # no currency to read it in: the schema tells the currency is missing
    body: dict[str, Any] = {
        "amount": amount,
        "recipient": {c: cells[c] for c in RECIPIENT_COLUMNS if c in cells},
        "end_user": {"id": cells["end_user_id"]} if "end_user_id" in cells else {},
    }
    for name in ("product_id", "external_id"):
        if name in cells:
            body[name] = cells[name]
    return CsvLine(number, body, tuple(errors), frozenset(flagged))


def safe_external_id(value: Any) -> str | None:
    """The line's external id as it may be stored and shown: an identifier, never a card number."""
    if isinstance(value, str) and IDENTIFIER.match(value) and not contains_card_number(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """What a batch is, apart from its orders. Version 1 is written before its lines are
    submitted, version 2 (`submitted_at` set) once every good line has been."""

    id: str
    company_id: str
    idempotency_key: str
    body_hash: str  # keyed: the same key with another body is a 409
    format: BatchFormat
    reference: str | None
    sandbox: bool
    request_id: str
    created_at: datetime
    total_lines: int
    accepted_lines: int
    rejected_lines: int
    submitted_at: datetime | None = None

    @property
    def version(self) -> int:
        return 1 if self.submitted_at is None else 2


@dataclass(frozen=True, slots=True)
class RejectedLine:
    batch_id: str
    company_id: str
    line: int
    external_id: str | None
    errors: tuple[LineError, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderTally:
    """A batch's orders (latest state) of one status and currency."""

    status: str
    currency: str
    count: int
    amount: int  # minor units
    fee: int
    last_update: datetime


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    paid: int  # minor units: amounts of completed orders
    fees: int  # their fees


@dataclass(frozen=True, slots=True)
class BatchProgress:
    status: BatchStatus
    counts: Mapping[str, int]  # completed, failed, in_review, declined, rejected, pending
    totals: tuple[CurrencyTotal, ...]
    completed_at: datetime | None


def rollup(header: BatchHeader, tallies: Iterable[OrderTally]) -> BatchProgress:
    """Progress from the orders seen so far. A good line whose order has not reached a resting
    status (or not been seen yet) is pending; the batch is completed when none is."""
    counts = dict.fromkeys(RESTING, 0)
    paid: dict[str, list[int]] = {}
    last: datetime | None = None
    for tally in tallies:
        if tally.status not in counts:
            continue
        counts[tally.status] += tally.count
        last = tally.last_update if last is None else max(last, tally.last_update)
        if tally.status == "completed":
            sums = paid.setdefault(tally.currency, [0, 0])
            sums[0] += tally.amount
            sums[1] += tally.fee
    pending = max(0, header.accepted_lines - sum(counts.values()))
    done = pending == 0
    totals = tuple(CurrencyTotal(c, p, f) for c, (p, f) in sorted(paid.items()))
    completed_at = (last or header.created_at) if done else None
    return BatchProgress(
        BatchStatus.COMPLETED if done else BatchStatus.PROCESSING, {**counts, PENDING_LINE: pending}, totals, completed_at
    )


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One line's result: its order's latest state, or why it became none."""

    line: int
    status: str  # an order status, REJECTED_LINE or PENDING_LINE
    external_id: str | None = None
    order_id: str | None = None
    amount: Money | None = None
    reason: str = ""  # the order's status reason
    errors: tuple[LineError, ...] = field(default_factory=tuple)


def result_row(line: BatchLine) -> list[str]:
    """A row of the results CSV (RESULT_COLUMNS). Cells a spreadsheet would run as a formula
    (=, +, -, @ first) are quoted with a leading apostrophe."""
    reason = "; ".join(f"{e.pointer}: {e.message}" for e in line.errors) if line.errors else line.reason
    cells = (str(line.line), line.external_id or "", line.status, line.order_id or "", reason)
    return [_inert(c) for c in cells]


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def results_csv_chunk(lines: Iterable[BatchLine], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(RESULT_COLUMNS)
    writer.writerows(result_row(line) for line in lines)
    return out.getvalue()
