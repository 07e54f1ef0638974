"""Dirty marks: which days of a rollup received rows since its latest computation.

The sink calls a `MarkDays` after a batch's insert into a rollup's source is acknowledged and
before it commits the batch's offsets (streams.sink.TableTarget.after_insert); refresh.py says
why that order makes the rollups exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.rollups.definitions import Rollup
from analytics.rollups.plan import as_utc


async def mark_dirty(ch: ClickHouse, rollup: Rollup, days: Iterable[date]) -> None:
    """marked_at is left to the server (DEFAULT now64(6)): the clock computations read."""
    rows = [(rollup.name, d) for d in sorted(set(days))]
    await ch.insert("rollup_dirty", rows, ("rollup_name", "day"))


@dataclass(frozen=True, slots=True)
class MarkDays:
    """An after-insert hook for rows of `rollup.source` laid out as `columns`: marks the UTC
    day of each row's time column."""

    rollup: Rollup
    columns: Sequence[str]

    def __post_init__(self) -> None:
        if self.rollup.time_column not in self.columns:
            raise ValueError(f"{self.rollup.source} rows need {self.rollup.time_column}")

    async def __call__(self, ch: ClickHouse, rows: Sequence[Sequence[Any]]) -> None:
        i = list(self.columns).index(self.rollup.time_column)
        await mark_dirty(ch, self.rollup, {_day(r[i]) for r in rows})


def _day(value: datetime) -> date:
    return as_utc(value).date()


@dataclass(frozen=True, slots=True)
class MarkJsonDays:
    """The same marks for messages the sink inserted undecoded (its JSON fast path):
    `path` leads through each message's JSON to the row's time, an ISO-8601 string."""

    rollup: Rollup
    path: tuple[str, ...]

    async def __call__(self, ch: ClickHouse, values: Sequence[bytes]) -> None:
        await mark_dirty(ch, self.rollup, {self.day(v) for v in values})

    def day(self, value: bytes) -> date:
        found: Any = orjson.loads(value)
        for key in self.path:
            found = found[key]
        return _day(datetime.fromisoformat(found))
