"""Reads that run at once when awaited together: a few more connections to the same ClickHouse
(the embedded engine: more handles to the one engine this process hosts; a server: more HTTP
clients), each with its own thread, like `ClickHouse` (analytics/clickhouse.py), whose calls all
queue on one connection. A read takes an idle lane, or waits for one.

For reads only (`query`): inserts, commands and the sink's staging stay on the process's
`ClickHouse`. A lane's query sees what any connection wrote before it started, as on a server.
The risk dashboard reads its panels through them (analytics/dashboards/reads.py): a render is a
dozen independent queries, most of them on one core each, and they no longer queue behind the
sink's inserts and the rollup refresher on the shared connection. The transactions report reads
its page and its totals through them at once (api/staff/report_service.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.clickhouse import ClickHouse


class ReadLanes:
    """A `Reads` (analytics.clickhouse) over `lanes` connections."""

    def __init__(self, lanes: Sequence[ClickHouse]) -> None:
        if not lanes:
            raise ValueError("at least one lane")
        self._lanes = tuple(lanes)
        self._idle: asyncio.Queue[ClickHouse] | None = None  # made in the loop that reads

    @classmethod
    def connect(cls, dsn: str, database: str, lanes: int) -> ReadLanes:
        """Blocking: call at start-up (or via asyncio.to_thread)."""
        return cls([ClickHouse.connect(dsn, database) for _ in range(lanes)])

    @property
    def database(self) -> str:
        return self._lanes[0].database

    def table(self, name: str) -> str:
        return self._lanes[0].table(name)

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[tuple]:
        lane = await self._take()
        try:
            return await lane.query(sql, parameters, settings)
        finally:
            self._give_back(lane)

    async def query_columns(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[list[Any]]:
        """ClickHouse.query_columns on a lane."""
        lane = await self._take()
        try:
            return await lane.query_columns(sql, parameters, settings)
        finally:
            self._give_back(lane)

    async def _take(self) -> ClickHouse:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for lane in self._lanes:
                self._idle.put_nowait(lane)
        return await self._idle.get()

    def _give_back(self, lane: ClickHouse) -> None:
        assert self._idle is not None
        self._idle.put_nowait(lane)

    def close(self) -> None:
        for lane in self._lanes:
            lane.close()
