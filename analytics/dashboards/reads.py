"""Dashboard panels read from ClickHouse: a panel's SQL rendered for bound parameters, run with
the query's range, bucket and company, or for the panels over decisions and flagged orders the
same answer from the hourly rollups (rollup_panels.py, suspect_panels.py). Rows come back as the
SQL returns them (x first)."""

from __future__ import annotations

import asyncio

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from analytics.clickhouse import Reads
from analytics.dashboards.panels import Panel, PanelQuery
from analytics.dashboards.rollup_panels import ROLLUP_PANELS, PanelRead
from analytics.dashboards.sql import api_dialect
from analytics.dashboards.suspect_panels import SUSPECT_PANELS, SharedSteps, Steps, TopPanel
from analytics.dashboards.suspect_whole_days import KeptSteps, WholeDays
from analytics.reports.common import utc
from analytics.rollups.state import hour_splits

# A dashboard refresh must never hold the one ClickHouse connection for long: a runaway panel
# (a range far larger than benched) fails instead of queueing every other read behind it.
PANEL_SETTINGS = {"max_execution_time": 10}
# Every query of a render is small (a few thousand to ~200,000 rows) and `quadra up` runs them
# two at a time on its read lanes: one thread each spends less CPU than several (their start-up
# and the merge of per-thread states), and the top lists' ~175,000 end users stay in one hash
# table instead of being converted to a two-level one at 100,000 (measured on 10 M orders:
# ~15 % less CPU per 30-day render, bench/README.md).
QUERY_SETTINGS: Mapping[str, Any] = MappingProxyType({"max_threads": 1, "group_by_two_level_threshold": 1_000_000})
FROM_ROLLUPS: Mapping[str, PanelRead] = MappingProxyType({**ROLLUP_PANELS, **SUSPECT_PANELS})
SLOWEST = frozenset(SUSPECT_PANELS)  # two queries each, the longest (bench/risk_dashboard.py)
__all__ = ["PANEL_SETTINGS", "QUERY_SETTINGS", "ClickHousePanels", "PanelQuery"]


class _WithSettings:
    """A `Reads` whose queries get `settings` under their own (a query's own win)."""

    def __init__(self, reads: Reads, settings: Mapping[str, Any]) -> None:
        self._reads = reads
        self._settings = dict(settings)

    @property
    def database(self) -> str:
        return self._reads.database

    def table(self, name: str) -> str:
        return self._reads.table(name)

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[tuple]:
        return await self._reads.query(sql, parameters, {**self._settings, **(settings or {})})


class ClickHousePanels:
    """`clickhouse`: a `ClickHouse`, or `ReadLanes` (analytics/read_lanes.py) to run a render's
    queries a few at a time. `live`: every panel from its own SQL, as Grafana runs it, never a
    rollup (the bench's baseline; it counts a decision stored twice twice until ClickHouse
    merges the copies). `query_settings`: under every query's own (QUERY_SETTINGS). The top
    lists' whole days are kept between renders (suspect_whole_days.py) unless `keep_whole_days`
    is False."""

    def __init__(
        self, clickhouse: Reads, live: bool = False, query_settings: Mapping[str, Any] = QUERY_SETTINGS,
        keep_whole_days: bool = True,
    ) -> None:
        self._ch: Reads = _WithSettings(clickhouse, query_settings) if query_settings else clickhouse
        self._live = live
        self._dialect = api_dialect(clickhouse.database)
        self._rendered: dict[str, str] = {}
        self._whole_days = WholeDays() if keep_whole_days and not live else None

    def sql(self, panel: Panel) -> str:
        if panel.id not in self._rendered:
            self._rendered[panel.id] = self._dialect.render(panel.sql)
        return self._rendered[panel.id]

    async def rows(self, panel: Panel, q: PanelQuery) -> list[tuple[Any, ...]]:
        return (await self.rows_of((panel,), q))[0]

    async def rows_of(self, panels: Sequence[Panel], q: PanelQuery) -> list[list[tuple[Any, ...]]]:
        """Each panel's rows over the same query, in order: the rollups' day states are read
        once for all of them (one query), then the panels are read together (on a plain
        ClickHouse their queries still queue, in this order)."""
        params = {
            "from": q.time_from, "to": q.time_to, "bucket_s": q.bucket_seconds, "company_id": q.company_id or "",
        }  # fmt: skip
        from_rollups = {} if self._live else {p.id: FROM_ROLLUPS[p.id] for p in panels if p.id in FROM_ROLLUPS}
        rollups = {r.name: r for read in from_rollups.values() for r in read.rollups}
        splits = await hour_splits(self._ch, tuple(rollups.values()), q.time_from, q.time_to) if rollups else {}

        # The top lists' steps: with their whole days kept (long ranges that have some, of every
        # company or one), else one query each for all of them when they take two (suspect_panels.py).
        lists = [r for r in from_rollups.values() if isinstance(r, TopPanel) and r.long(q)]
        tops = [r for r in lists if r.two_steps(q)]
        shared: Steps | None = None
        if len(lists) > 1 and self._whole_days is not None and KeptSteps.applies(q, splits):
            shared = KeptSteps(self._ch, q, splits, params, lists, self._whole_days)
        elif len(tops) > 1:
            shared = SharedSteps(self._ch, q, splits, params, tops)

        async def one(panel: Panel) -> list[tuple[Any, ...]]:
            read = from_rollups.get(panel.id)
            if read is None:
                rows = await self._ch.query(self.sql(panel), params, settings=PANEL_SETTINGS)
            elif isinstance(read, TopPanel):
                rows = await read.rows(self._ch, q, splits, params, shared)
            else:
                rows = await read.rows(self._ch, q, splits, params)
            return [tuple(utc(v) for v in row) for row in rows]

        # The slowest first: on lanes, they do not wait for the quick ones to start.
        started = sorted(range(len(panels)), key=lambda i: panels[i].id not in SLOWEST)
        found = await asyncio.gather(*(one(panels[i]) for i in started))
        return [found[started.index(i)] for i in range(len(panels))]
