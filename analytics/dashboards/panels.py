"""What a dashboard panel is: an id, its titles, a chart kind and one SQL text whose result
columns are the x column followed by the value columns, in the order `columns` names them.
The API encodes the result for ECharts, the Grafana export turns the same definition into a
Grafana panel (analytics/dashboards/grafana.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class PanelKind(str, enum.Enum):
    TIMESERIES_STACKED = "timeseries_stacked"  # x: bucket start; series stacked
    TIMESERIES = "timeseries"  # x: bucket start; series as lines
    BAR = "bar"  # x: categories, in the order the SQL returns them
    HISTOGRAM = "histogram"  # x: bucket labels, every bucket present
    TABLE = "table"  # columns and rows

    @property
    def over_time(self) -> bool:
        return self in (PanelKind.TIMESERIES_STACKED, PanelKind.TIMESERIES)


class Unit(str, enum.Enum):
    TIME = "time"  # a bucket start, ISO 8601 UTC
    TEXT = "text"
    COUNT = "count"
    RATIO = "ratio"  # 0..1
    SCORE = "score"  # the model's risk, 0..1
    MS = "ms"


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # also the translation key's last part: dashboards.risk.column.<name>
    unit: Unit


@dataclass(frozen=True, slots=True)
class Panel:
    id: str
    title: str  # English
    title_ru: str
    kind: PanelKind
    columns: tuple[Column, ...]  # the result's columns: x first, then each series
    sql: str  # with the markers of analytics/dashboards/sql.py
    description: str = ""

    @property
    def title_key(self) -> str:
        """The UI's translation catalog key for the title."""
        return f"dashboards.risk.{self.id}.title"

    @property
    def x(self) -> Column:
        return self.columns[0]

    @property
    def series(self) -> tuple[Column, ...]:
        return self.columns[1:]


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    title_ru: str
    panels: tuple[Panel, ...]

    def __post_init__(self) -> None:
        ids = [p.id for p in self.panels]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate panel ids in {self.uid}")


@dataclass(frozen=True, slots=True)
class PanelQuery:
    time_from: datetime  # inclusive, UTC
    time_to: datetime  # exclusive, UTC
    bucket_seconds: int
    company_id: str | None  # None: every company
