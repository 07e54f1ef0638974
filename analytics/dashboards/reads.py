"""Dashboard panels read from ClickHouse: a panel's SQL rendered for bound parameters, run with
the query's range, bucket and company. Rows come back as the SQL returns them (x first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.dashboards.panels import Panel
from analytics.dashboards.sql import api_dialect
from analytics.reports.common import utc

# A dashboard refresh must never hold the one ClickHouse connection for long: a runaway panel
# (a range far larger than benched) fails instead of queueing every other read behind it.
PANEL_SETTINGS = {"max_execution_time": 10}


@dataclass(frozen=True, slots=True)
class PanelQuery:
    time_from: datetime  # inclusive, UTC
    time_to: datetime  # exclusive, UTC
    bucket_seconds: int
    company_id: str | None  # None: every company


class ClickHousePanels:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse
        self._dialect = api_dialect(clickhouse.database)
        self._rendered: dict[str, str] = {}

    def sql(self, panel: Panel) -> str:
        if panel.id not in self._rendered:
            self._rendered[panel.id] = self._dialect.render(panel.sql)
        return self._rendered[panel.id]

    async def rows(self, panel: Panel, q: PanelQuery) -> list[tuple[Any, ...]]:
        params = {
            "from": q.time_from, "to": q.time_to, "bucket_s": q.bucket_seconds, "company_id": q.company_id or "",
        }  # fmt: skip
        rows = await self._ch.query(self.sql(panel), params, settings=PANEL_SETTINGS)
        return [tuple(utc(v) for v in row) for row in rows]
