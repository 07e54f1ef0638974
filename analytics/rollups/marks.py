"""Dirty marks: which days of a rollup received rows since its latest computation.

The sink calls a `MarkDays` after a batch's insert into a rollup's source is acknowledged and
before it commits the batch's offsets (streams.sink.TableTarget.after_insert), or has ClickHouse
write the `json_days` of a batch it inserted undecoded; refresh.py says why that order makes
the rollups exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.json_rows import JsonDays
from analytics.rollups.definitions import Rollup
from analytics.rollups.plan import as_utc


async def mark_dirty(ch: ClickHouse, rollup: Rollup, days: Iterable[date], also: Sequence[Rollup] = ()) -> None:
    """marked_at is left to the server (DEFAULT now64(6)): the clock computations read.
    `also`: further rollups of the same source, marked in the same insert."""
    rows = [(r.name, d) for r in (rollup, *also) for d in sorted(set(days))]
    await ch.insert("rollup_dirty", rows, ("rollup_name", "day"))


@dataclass(frozen=True, slots=True)
class MarkDays:
    """An after-insert hook for rows of `rollup.source` laid out as `columns`: marks the UTC
    day of each row's time column, for `rollup` and the rollups in `also` (the same source
    and time column: a table has one hook)."""

    rollup: Rollup
    columns: Sequence[str]
    also: tuple[Rollup, ...] = ()

    def __post_init__(self) -> None:
        if self.rollup.time_column not in self.columns:
            raise ValueError(f"{self.rollup.source} rows need {self.rollup.time_column}")
        for other in self.also:
            if (other.source, other.time_column) != (self.rollup.source, self.rollup.time_column):
                raise ValueError(f"{other.name} does not summarise {self.rollup.source} by {self.rollup.time_column}")

    async def __call__(self, ch: ClickHouse, rows: Sequence[Sequence[Any]]) -> None:
        i = list(self.columns).index(self.rollup.time_column)
        await mark_dirty(ch, self.rollup, {_day(r[i]) for r in rows}, self.also)


def _day(value: datetime) -> date:
    return as_utc(value).date()


def json_days(rollup: Rollup, table: str) -> JsonDays:
    """The same marks for the rows of `table` the sink computed in ClickHouse from undecoded
    messages (its JSON fast path): ClickHouse writes them from the batch, after its rows and
    before the commit (streams.sink, ClickHouse.insert_from_json)."""
    return JsonDays("rollup_dirty", ("rollup_name", "day"), rollup.name, table, rollup.time_column)
