"""Use case behind the risk dashboard: every panel of analytics/dashboards/risk.py over one
time range (and optionally one company), shaped for charts: the x values and one named series
per value column, or a table's rows. The bucket follows the range (minute, hour, day), and
time series get every bucket of the range, so a chart's x axis has no holes."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from analytics.dashboards.panels import Column, Dashboard, Panel, PanelKind, Unit
from analytics.dashboards.reads import PanelQuery
from analytics.dashboards.risk import RISK_DASHBOARD
from domain.errors import InvalidCommand

MAX_RANGE = timedelta(days=93)  # a quarter: the longest range benched (bench/risk_dashboard.py)
MIN_RANGE = timedelta(minutes=1)


class Bucket(enum.Enum):
    MINUTE = 60
    HOUR = 3600
    DAY = 86400

    @property
    def seconds(self) -> int:
        return int(self.value)

    @classmethod
    def for_range(cls, span: timedelta) -> Bucket:
        """At most a few hundred points per series: minutes up to 6 hours, hours up to 7 days."""
        if span <= timedelta(hours=6):
            return cls.MINUTE
        if span <= timedelta(days=7):
            return cls.HOUR
        return cls.DAY


class PanelReads(Protocol):
    async def rows_of(self, panels: Sequence[Panel], q: PanelQuery) -> list[list[tuple[Any, ...]]]:
        """Each panel's rows over `q`, in the order given (one call per dashboard render, so
        that an implementation can share work between the panels)."""
        ...


Value = int | float | str | datetime | None


@dataclass(frozen=True, slots=True)
class Series:
    column: Column
    values: tuple[Value, ...]  # one per x value


@dataclass(frozen=True, slots=True)
class PanelData:
    panel: Panel
    x: tuple[Value, ...]  # charts: bucket starts or categories; tables: ()
    series: tuple[Series, ...]  # charts: one per value column; tables: ()
    rows: tuple[tuple[Value, ...], ...]  # tables: the rows, columns as panel.columns; charts: ()


@dataclass(frozen=True, slots=True)
class DashboardData:
    dashboard: Dashboard
    time_from: datetime
    time_to: datetime
    company_id: str | None
    bucket: Bucket
    panels: tuple[PanelData, ...]


def bucket_starts(time_from: datetime, time_to: datetime, bucket: Bucket) -> list[datetime]:
    """The starts of every bucket [from, to) touches, aligned as ClickHouse's
    toStartOfInterval aligns them (multiples of the bucket since the epoch, UTC)."""
    step = bucket.seconds
    first = int(time_from.timestamp()) // step * step
    end = time_to.timestamp()
    return [datetime.fromtimestamp(t, UTC) for t in range(first, int(end) + (end % 1 > 0), step) if t < end]


def _number(v: Any) -> Value:
    if v is None or isinstance(v, int | float | str | datetime):
        return v
    return float(v)  # Decimal and other numeric types


def shape(panel: Panel, rows: Sequence[tuple[Any, ...]], x_fill: Sequence[datetime] | None) -> PanelData:
    """`x_fill`: the x values of a time series (every bucket); a bucket without a row counts 0
    and has no quantiles (None)."""
    if panel.kind is PanelKind.TABLE:
        return PanelData(panel, (), (), tuple(tuple(_number(v) for v in r) for r in rows))
    if any(len(r) != len(panel.columns) for r in rows):
        raise ValueError(f"{panel.id}: the rows do not have the panel's columns")
    by_x = {r[0]: r[1:] for r in rows}
    xs = list(x_fill) if x_fill is not None else [r[0] for r in rows]
    empty = tuple(0 if c.unit is Unit.COUNT else None for c in panel.series)
    table = [by_x.get(x, empty) for x in xs]
    series = tuple(Series(c, tuple(_number(row[i]) for row in table)) for i, c in enumerate(panel.series))
    return PanelData(panel, tuple(_number(x) for x in xs), series, ())


class RiskDashboard:
    def __init__(self, reads: PanelReads, dashboard: Dashboard = RISK_DASHBOARD) -> None:
        self._reads = reads
        self._dashboard = dashboard

    async def panels(self, time_from: datetime, time_to: datetime, company_id: str | None) -> DashboardData:
        """Every panel over [from, to); raises InvalidCommand for a range that is empty,
        reversed, or longer than MAX_RANGE."""
        time_from, time_to = time_from.astimezone(UTC), time_to.astimezone(UTC)
        if time_to <= time_from:
            raise InvalidCommand("`to` must be after `from`", "to")
        if time_to - time_from < MIN_RANGE:
            raise InvalidCommand("the range must span at least a minute", "to")
        if time_to - time_from > MAX_RANGE:
            raise InvalidCommand(f"the range may span at most {MAX_RANGE.days} days", "to")
        bucket = Bucket.for_range(time_to - time_from)
        q = PanelQuery(time_from, time_to, bucket.seconds, company_id)
        fill = bucket_starts(time_from, time_to, bucket)
        panels = self._dashboard.panels
        found = await self._reads.rows_of(panels, q)
        shaped = tuple(
            shape(p, rows, fill if p.kind.over_time else None) for p, rows in zip(panels, found, strict=True)
        )
        return DashboardData(self._dashboard, time_from, time_to, company_id, bucket, shaped)
