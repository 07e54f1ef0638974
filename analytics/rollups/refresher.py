"""The periodic rollup refresher a sink process runs next to the sink: first every day that
has no rollup yet (data from before the migration), then, every interval, the dirty days."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from analytics.clickhouse import ClickHouse
from analytics.rollups.definitions import ROLLUPS, Rollup
from analytics.rollups.refresh import Refreshed, build_missing, refresh_dirty

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefresherConfig:
    interval_s: float = 30.0
    quiet_s: float = 60.0  # a dirty day waits until its newest mark is this old


class RollupRefresher:
    def __init__(self, ch: ClickHouse, config: RefresherConfig, rollups: Sequence[Rollup] = ROLLUPS) -> None:
        self._ch = ch
        self._config = config
        self._rollups = tuple(rollups)
        self._stopping = asyncio.Event()
        self.cycles = 0

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stop(). A failed cycle is logged and retried at the next interval: until then
        the affected days stay dirty, and reports read them live."""
        first = True
        while not self._stopping.is_set():
            try:
                done = await self.cycle(build=first)
                first = False
                for r in done:
                    if r.days:
                        log.info("rollup %s: %d days recomputed in %.2f s", r.rollup, r.days, r.seconds)
            except Exception:
                log.exception("rollup refresh failed; the dirty days are read live until it works")
            self.cycles += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._config.interval_s)

    async def cycle(self, build: bool = False) -> list[Refreshed]:
        quiet = timedelta(seconds=self._config.quiet_s)
        done = []
        for rollup in self._rollups:
            if build:
                done.append(await build_missing(self._ch, rollup))
            done.append(await refresh_dirty(self._ch, rollup, quiet))
        return done
