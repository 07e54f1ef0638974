"""CPU and RSS of each process the bench watches (psutil), and the machine's load average."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field

import psutil


@dataclass
class ProcSamples:
    """One process's samples: (seconds since start, cpu seconds so far, rss bytes)."""

    pid: int
    times: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)


def window(samples: ProcSamples, t0: float, t1: float) -> dict[str, float] | None:
    """CPU share of one core and RSS over the samples taken from t0 to t1 (None if < 2)."""
    picks = [i for i, t in enumerate(samples.times) if t0 <= t <= t1]
    if len(picks) < 2:
        return None
    first, last = picks[0], picks[-1]
    span = samples.times[last] - samples.times[first]
    rss = [samples.rss[i] for i in picks]
    return {
        "cpu_cores": (samples.cpu_s[last] - samples.cpu_s[first]) / span if span > 0 else 0.0,
        "cpu_s": samples.cpu_s[last] - samples.cpu_s[first],
        "rss_mb_start": rss[0] / 2**20,
        "rss_mb_end": rss[-1] / 2**20,
        "rss_mb_max": max(rss) / 2**20,
    }


class ProcSampler:
    """Samples named processes every `interval_s`; the bench process itself is 'bench'."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.started = time.perf_counter()
        self.samples: dict[str, ProcSamples] = {}
        self.load: list[tuple[float, float]] = []  # (seconds since start, 1-minute load average)
        self._procs: dict[str, psutil.Process] = {}
        self._task: asyncio.Task[None] | None = None
        self.watch("bench", os.getpid())

    def watch(self, name: str, pid: int) -> None:
        self._procs[name] = psutil.Process(pid)
        self.samples[name] = ProcSamples(pid)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="proc-sampler")

    def now(self) -> float:
        return time.perf_counter() - self.started

    def take(self) -> None:
        at = self.now()
        for name, proc in self._procs.items():
            with contextlib.suppress(psutil.Error):
                with proc.oneshot():
                    cpu = proc.cpu_times()
                    rss = proc.memory_info().rss
                s = self.samples[name]
                s.times.append(at)
                s.cpu_s.append(cpu.user + cpu.system)
                s.rss.append(rss)
        self.load.append((at, os.getloadavg()[0]))

    async def _run(self) -> None:
        while True:
            self.take()
            await asyncio.sleep(self.interval_s)

    def summary(self, t0: float, t1: float) -> dict[str, dict[str, float]]:
        out = {}
        for name, samples in self.samples.items():
            figures = window(samples, t0, t1)
            if figures is not None:
                out[name] = figures
        return out

    def load_between(self, t0: float, t1: float) -> float | None:
        values = [v for t, v in self.load if t0 <= t <= t1]
        return max(values) if values else None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
