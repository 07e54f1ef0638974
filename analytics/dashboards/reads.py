"""Dashboard panels read from ClickHouse: a panel's SQL rendered for bound parameters, run with
the query's range, bucket and company, or for the panels over decisions the same answer from
the hourly decision rollups (rollup_panels.py). Rows come back as the SQL returns them (x first)."""

from __future__ import annotations

from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.dashboards.decision_parts import SETTINGS as ROLLUP_SETTINGS
from analytics.dashboards.panels import Panel, PanelQuery
from analytics.dashboards.rollup_panels import ROLLUP_PANELS
from analytics.dashboards.sql import api_dialect
from analytics.reports.common import utc

# A dashboard refresh must never hold the one ClickHouse connection for long: a runaway panel
# (a range far larger than benched) fails instead of queueing every other read behind it.
PANEL_SETTINGS = {"max_execution_time": 10}
__all__ = ["PANEL_SETTINGS", "ClickHousePanels", "PanelQuery"]


class ClickHousePanels:
    """`live`: every panel from its own SQL, as Grafana runs it, never a rollup (the bench's
    baseline; it counts a decision stored twice twice until ClickHouse merges the copies)."""

    def __init__(self, clickhouse: ClickHouse, live: bool = False) -> None:
        self._ch = clickhouse
        self._live = live
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
        from_rollups = None if self._live else ROLLUP_PANELS.get(panel.id)
        if from_rollups is None:
            rows = await self._ch.query(self.sql(panel), params, settings=PANEL_SETTINGS)
        else:
            sql, parts_params = await from_rollups(self._ch, q, False)
            rows = await self._ch.query(sql, params | parts_params, settings=ROLLUP_SETTINGS)
        return [tuple(utc(v) for v in row) for row in rows]
