"""Wire schemas of the risk dashboard: the query (unknown parameters are a 422) and every panel
in one answer, shaped for Apache ECharts: a chart's `x` values and named `series` (one value
per x), a table's `columns` and `rows`. Times are ISO 8601 UTC strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.staff.risk_dashboard_service import MAX_RANGE, DashboardData, PanelData, Value
from api.time_params import QueryTime
from domain.companies import COMPANY_ID

CompanyId = Annotated[str, StringConstraints(strict=True, pattern=COMPANY_ID.pattern)]
Cell = str | int | float | None


class RiskDashboardParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    time_from: QueryTime = Field(alias="from", description="Range start (inclusive), with a UTC offset")
    time_to: QueryTime = Field(
        alias="to", description=f"Range end (exclusive); at most {MAX_RANGE.days} days after `from`"
    )
    company_id: CompanyId | None = Field(None, description="One company; every company when absent")


def _cell(v: Value) -> Cell:
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return v


class ColumnOut(BaseModel):
    name: str = Field(description="Stable id; the UI's label key is dashboards.risk.column.<name>")
    unit: Literal["time", "text", "count", "ratio", "score", "ms"]


class SeriesOut(ColumnOut):
    data: list[Cell] = Field(description="One value per x value; null where there is none (a quantile of nothing)")


class PanelOut(BaseModel):
    id: str
    title: str
    title_ru: str
    title_key: str
    description: str
    kind: Literal["timeseries_stacked", "timeseries", "bar", "histogram", "table"]
    x: list[Cell] = Field(description="Charts: bucket starts (every bucket of the range) or categories")
    x_unit: Literal["time", "text", "count", "ratio", "score", "ms"]
    series: list[SeriesOut] = Field(description="Charts: one per value column; [] for tables")
    columns: list[ColumnOut] = Field(description="Every column, x first (for tables, the row layout)")
    rows: list[list[Cell]] = Field(description="Tables: the rows; [] for charts")

    @classmethod
    def from_data(cls, d: PanelData) -> PanelOut:
        p = d.panel
        return cls(
            id=p.id, title=p.title, title_ru=p.title_ru, title_key=p.title_key, description=p.description,
            kind=p.kind.value, x=[_cell(v) for v in d.x], x_unit=p.x.unit.value,
            series=[SeriesOut(name=s.column.name, unit=s.column.unit.value, data=[_cell(v) for v in s.values])
                    for s in d.series],
            columns=[ColumnOut(name=c.name, unit=c.unit.value) for c in p.columns],
            rows=[[_cell(v) for v in row] for row in d.rows],
        )  # fmt: skip


class RiskDashboardOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    time_from: datetime = Field(serialization_alias="from")
    time_to: datetime = Field(serialization_alias="to")
    company_id: str | None
    bucket: Literal["minute", "hour", "day"]
    bucket_seconds: int
    panels: list[PanelOut]

    @classmethod
    def from_data(cls, d: DashboardData) -> RiskDashboardOut:
        return cls(
            time_from=d.time_from, time_to=d.time_to, company_id=d.company_id, bucket=d.bucket.name.lower(),
            bucket_seconds=d.bucket.seconds, panels=[PanelOut.from_data(p) for p in d.panels],
        )  # fmt: skip
