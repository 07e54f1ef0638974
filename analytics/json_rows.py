"""Rows ClickHouse computes from a topic's JSON messages: the sink's fast path for tables whose
row is not the message itself (order events → orders, ledger entries, webhook attempts).

The sink hands the batch's raw values to ClickHouse (JSONEachRow) and an INSERT … SELECT turns
each message into its row, so Python decodes nothing. Each `JsonRows` is the SQL twin of a
Python converter (analytics/rows.py and friends) and must store exactly what it stores; tests
store the same messages both ways and compare (tests/analytics/test_*_json_rows.py).

What keeps the twins equal: `check` is false for every message the SQL could store otherwise
than the decoder + converter would (a message the decoder refuses, a value in a form the SQL
does not reproduce). One such message makes the insert fail, and the sink decodes that batch
in Python, which stores or skips each message as it always did. Checks may refuse more than
needed (the batch is then only slower); they must never accept less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# How ClickHouse reads the messages: strictly, so a value of another JSON type, a missing
# field or an unreadable one fails the insert instead of becoming a default or a coerced value.
READ_SETTINGS: dict[str, Any] = {
    "input_format_skip_unknown_fields": 1,  # the schema version "v", fields the rows do not use
    "input_format_force_null_for_omitted_fields": 1,  # a missing field: NULL, refused below
    "input_format_null_as_default": 0,  # else a missing field's NULL becomes the default
    "input_format_json_read_numbers_as_strings": 0,
    "input_format_json_read_bools_as_strings": 0,
    "input_format_json_read_arrays_as_strings": 0,
    "input_format_json_read_objects_as_strings": 1,  # a `String` field holds an object verbatim
    "input_format_json_defaults_for_missing_elements_in_named_tuple": 0,
    "input_format_parallel_parsing": 0,  # a batch is one chunk's work; threads only add copies
    "output_format_json_escape_forward_slashes": 0,  # toJSONString writes '/' as orjson does
    "optimize_on_insert": 0,  # replaced rows collapse in merges and FINAL reads, as across batches
}


@dataclass(frozen=True, slots=True)
class JsonTable:
    """One table's rows: `select` has one expression per column (in `columns` order) over the
    route's input fields and named expressions; `where` is false for messages the converter
    turns into no row of this table."""

    table: str
    columns: tuple[str, ...]
    select: tuple[str, ...]
    where: str = "1"

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.select):
            raise ValueError(f"{self.table}: {len(self.columns)} columns, {len(self.select)} expressions")


@dataclass(frozen=True, slots=True)
class JsonDays:
    """After a batch's rows are written: one `(name, day)` row of `into` (in `columns`) per
    distinct UTC day of `column` (a DateTime64 in UTC) among the batch's rows of `table`. The
    daily rollups' dirty marks (analytics/rollups/marks.py), computed by ClickHouse from the rows
    it computed: no message is parsed in Python for them."""

    into: str
    columns: tuple[str, str]
    name: str
    table: str
    column: str


class AfterRowsError(RuntimeError):
    """The batch's rows were written but its `JsonDays` were not: a storage failure, never a
    refused message (the sink re-reads the batch, it does not decode it)."""


@dataclass(frozen=True, slots=True)
class JsonRows:
    """How one topic's messages become rows of its tables.

    `structure`: the input columns ClickHouse reads each message into, in `format`
    (JSONEachRow: the message's top-level fields; LineAsString: the message's text);
    `with_`: named expressions (`expr AS name`) the others use, computed once per message;
    `check`: true when the SQL stores the message exactly as the decode path would;
    `name`: names the embedded engine's staging table (see `ClickHouse.insert_from_json`);
    `days`: what is written after the tables' rows, from them (the rollups' marks).
    """

    name: str
    structure: str
    check: str
    tables: tuple[JsonTable, ...]
    with_: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  # over READ_SETTINGS
    format: str = "JSONEachRow"
    days: tuple[JsonDays, ...] = ()

    def __post_init__(self) -> None:
        for days in self.days:
            if days.column not in self._table(days.table).columns:
                raise ValueError(f"{self.name}: {days.table} has no column {days.column}")

    def _table(self, name: str) -> JsonTable:
        found = [t for t in self.tables if t.table == name]
        if not found:
            raise ValueError(f"{self.name}: no table {name}")
        return found[0]

    def _select(self, outputs: Sequence[str], source: str, distinct: bool = False) -> str:
        with_ = f"WITH {', '.join(self.with_)} " if self.with_ else ""
        settings = {**READ_SETTINGS, **self.settings}
        return (
            f"{with_}SELECT {'DISTINCT ' if distinct else ''}{', '.join(outputs)} FROM {source} "
            # throwIf first: `AND` skips its right side for some rows, never its left
            f"WHERE throwIf(NOT ({self.check}), 'message outside the JSON fast path') = 0 "
            f"SETTINGS {settings_sql(settings)}"
        )

    def insert_sql(self, table: JsonTable, qualified: str, source: str, distinct: bool = False) -> str:
        """One table's rows straight from the messages (`source`: a table expression)."""
        select = self._select(table.select, source, distinct)
        where = select.index(" SETTINGS ")
        return (
            f"INSERT INTO {qualified} ({', '.join(table.columns)}) "
            f"{select[:where]} AND ({table.where}){select[where:]}"
        )

    def server_insert_sql(self, table: JsonTable, qualified: str, distinct: bool = False) -> str:
        """For a ClickHouse server: the messages are the data sent along with the statement."""
        source = f"input({quoted(self.structure)})"
        return f"{self.insert_sql(table, qualified, source, distinct)} FORMAT {self.format}"

    def days_sql(self, days: JsonDays, qualified: str, source: str) -> str:
        """`days` straight from the messages: the day column's expression over them, for the
        messages that have a row in the table."""
        table = self._table(days.table)
        expr = table.select[table.columns.index(days.column)]
        marks = JsonTable(days.into, days.columns, (quoted(days.name), f"toDate({expr})"), table.where)
        # It reads a few fields (ClickHouse skips the others), of messages the rows' statements
        # took already: an unused field is no unknown one here.
        lenient = replace(self, settings={**self.settings, "input_format_skip_unknown_fields": 1})
        return lenient.insert_sql(marks, qualified, source, distinct=True)

    def server_days_sql(self, days: JsonDays, qualified: str) -> str:
        """For a ClickHouse server, which keeps no staged batch: from the data sent along."""
        return f"{self.days_sql(days, qualified, f'input({quoted(self.structure)})')} FORMAT {self.format}"

    def days_from_stage_sql(self, days: JsonDays, qualified: str, stage: str) -> str:
        """`days` from the staged batch (`stage_sql`), after the tables were filled from it."""
        index = self.tables.index(self._table(days.table))
        column = self.tables[index].columns.index(days.column)
        return (
            f"INSERT INTO {qualified} ({', '.join(days.columns)}) "
            f"SELECT DISTINCT {quoted(days.name)}, toDate(t{index}_c{column}) FROM {stage} "
            f"WHERE t{index}_where"
        )

    def stage_sql(self, stage: str, source: str) -> str:
        """Every table's columns (`t0_c0` …) and row filters (`t0_where` …) in one pass over the
        messages, into `stage`: they are read and checked once, not once per table."""
        outputs = [
            f"{expr} AS t{t}_c{c}" for t, table in enumerate(self.tables) for c, expr in enumerate(table.select)
        ] + [f"({table.where}) AS t{t}_where" for t, table in enumerate(self.tables)]
        return f"INSERT INTO {stage} {self._select(outputs, source)}"

    def create_stage_sql(self, stage: str, source: str) -> str:
        select = self.stage_sql(stage, source).removeprefix(f"INSERT INTO {stage} ")
        return f"CREATE OR REPLACE TABLE {stage} ENGINE = Memory EMPTY AS {select}"

    def from_stage_sql(self, index: int, qualified: str, stage: str) -> str:
        table = self.tables[index]
        outputs = ", ".join(f"t{index}_c{c}" for c in range(len(table.columns)))
        return (
            f"INSERT INTO {qualified} ({', '.join(table.columns)}) SELECT {outputs} FROM {stage} "
            f"WHERE t{index}_where SETTINGS optimize_on_insert = 0"
        )


def settings_sql(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} = {_literal(value)}" for name, value in settings.items())


def quoted(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(value: Any) -> str:
    return str(int(value)) if isinstance(value, bool | int) else quoted(str(value))


def one_of(expr: str, values: Iterable[str]) -> str:
    """`expr` is one of `values` (an enum's values: what the decoder's Enum(value) accepts)."""
    return f"{expr} IN ({', '.join(quoted(v) for v in values)})"


# `datetime.isoformat()` of an aware datetime, years 1971–2199 (after 1970, where an offset
# could move the instant before the epoch: negative ticks round otherwise in clickhouse-connect;
# far inside DateTime64's range), as the domain writes every timestamp. Python reads it back (`fromisoformat`) to the
# instant ClickHouse reads, and writes it again unchanged: microseconds only when not zero,
# a `+HH:MM` offset never `-00:00`. Anything else takes the decode path.
_ISO = (
    r"^(197[1-9]|19[89]\d|2[01]\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{6})?[+-]([01]\d|2[0-3]):[0-5]\d$"
)


def iso_time_ok(expr: str) -> str:
    """`expr` (a String) is a timestamp both paths read alike (and a real date: no 30 Feb)."""
    return (
        f"(match({expr}, {quoted(_ISO)}) AND NOT endsWith({expr}, '-00:00') "
        f"AND position({expr}, '.000000') = 0 "
        # days 29–31 may not exist in that month: only those are worth parsing to know
        f"AND (substring({expr}, 9, 2) < '29' "
        f"OR isNotNull(parseDateTime64BestEffortOrNull({expr}, 6, 'UTC'))))"
    )


def iso_time(expr: str, precision: int) -> str:
    """The instant of a checked timestamp, truncated to `precision` digits as clickhouse-connect
    truncates a Python datetime's microseconds."""
    return f"parseDateTime64BestEffort({expr}, {precision}, 'UTC')"


def json_text(expr: str) -> str:
    """A Nullable(String) as orjson writes it: a JSON string, or null. Where ClickHouse escapes
    otherwise (U+2028, U+2029), the rebuilt text differs from the message's and the check
    that compares them sends the batch to the decode path."""
    return f"ifNull(toJSONString({expr}), 'null')"
