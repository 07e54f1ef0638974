"""Kafka consumer lag per group over time, and whether it grows.

Lag of a group = sum over the partitions it has committed of (end offset − committed offset).
End offsets are read with read_uncommitted (the high watermark), so a group reading a
transactional topic shows a lag of about one per partition even when caught up: the commit
marker after the last record takes an offset that no consumer ever commits past on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

GROWING_FACTOR = 2.0  # the last third's mean lag this many times the first third's …
GROWING_MIN = 100  # … and at least this many messages more: growing


def group_lag(committed: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]) -> int:
    """Messages behind, over the partitions with a committed offset (and a known end)."""
    return sum(max(0, ends[tp] - offset) for tp, offset in committed.items() if tp in ends)


def lag_trend(values: list[int]) -> str:
    """'growing', 'steady' or 'draining' from a series of lag samples taken at a fixed interval.

    Growing: the mean of the last third is GROWING_FACTOR times the first third's and at least
    GROWING_MIN higher (a stage falling behind). Draining: the last third is below half the
    first third's mean (catching up). Anything else is steady, including a constant small lag.
    """
    if len(values) < 3:
        return "steady"
    third = len(values) // 3
    first = sum(values[:third]) / third
    last = sum(values[-third:]) / third
    if last >= first * GROWING_FACTOR and last - first >= GROWING_MIN:
        return "growing"
    if last < first / 2 and first - last >= GROWING_MIN:
        return "draining"
    return "steady"


@dataclass
class LagSeries:
    """Samples of every group whose name starts with the run's topic prefix."""

    started: float = field(default_factory=time.perf_counter)
    times: list[float] = field(default_factory=list)
    by_group: dict[str, list[int]] = field(default_factory=dict)

    def add(self, at: float, lags: Mapping[str, int]) -> None:
        index = len(self.times)
        self.times.append(at - self.started)
        for group, lag in lags.items():
            series = self.by_group.setdefault(group, [0] * index)
            series.append(lag)
        for group, series in self.by_group.items():
            if len(series) < index + 1:
                series.append(series[-1] if series else 0)

    def between(self, t0: float, t1: float) -> dict[str, list[int]]:
        """Each group's samples taken from t0 to t1 (seconds since `started`)."""
        picks = [i for i, t in enumerate(self.times) if t0 <= t <= t1]
        return {g: [s[i] for i in picks] for g, s in self.by_group.items()}


class LagSampler:
    """Samples the lag of the prefix's groups every `interval_s` in the background."""

    def __init__(self, bootstrap: str, prefix: str, interval_s: float = 1.0) -> None:
        self.prefix = prefix
        self.interval_s = interval_s
        self.series = LagSeries()
        self.errors = 0
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        self._ends = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        await asyncio.wait_for(self._admin.start(), 30)
        await asyncio.wait_for(self._ends.start(), 30)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lag-sampler")

    async def sample(self) -> dict[str, int]:
        groups = [g[0] for g in await self._admin.list_consumer_groups() if g[0].startswith(self.prefix)]
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in sorted(groups):
            offsets = await self._admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        ends = await self._ends.end_offsets(list(partitions)) if partitions else {}
        return {group: group_lag(offsets, ends) for group, offsets in committed.items()}

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            try:
                self.series.add(began, await self.sample())
            except Exception:  # noqa: BLE001 - a missed sample is counted, not fatal
                self.errors += 1
            await asyncio.sleep(max(0.0, self.interval_s - (time.perf_counter() - began)))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for client in (self._ends, self._admin):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close() if client is self._admin else client.stop(), 30)
