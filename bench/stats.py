"""What a measured phase yields: latency percentiles, the completion timeline (stalls), CPU used."""

from __future__ import annotations

import os
import resource
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.closed_loop import LoopResult

STALL_S = 0.5  # no completion for this long, with work in flight, counts as a stall


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def timeline(completions: list[float]) -> dict[str, float]:
    """Stall detectors: the longest time without any completion, and per-second rates."""
    if not completions:
        return {}
    times = sorted(completions)
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    full_seconds = int(times[-1])
    per_second = Counter(int(t) for t in times if t < full_seconds)
    rates = sorted(per_second.get(sec, 0) for sec in range(full_seconds))
    out = {"longest_gap_ms": max(gaps) * 1000}
    stalls = [(t - g, g) for t, g in zip(times, gaps, strict=True) if g >= STALL_S]
    out["stalls"] = len(stalls)
    out["stall_s"] = sum(g for _, g in stalls)
    for n, (at, gap) in enumerate(stalls[:3]):
        out[f"stall{n + 1}_at_s"] = at
        out[f"stall{n + 1}_ms"] = gap * 1000
    if rates:
        out |= {
            "per_second_min": float(rates[0]),
            "per_second_median": float(rates[len(rates) // 2]),
            "per_second_max": float(rates[-1]),
        }
    return out


# ---------------------------------------------------------------------------------------------
# CPU accounting (Linux /proc; where it is missing the figures are left out)


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of a process from /proc (Linux), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return (total - idle) / tick, total / tick


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds so far of the bench process, of one other process (if any) and the machine."""

    other_s: float | None
    bench_s: float
    machine: tuple[float, float] | None

    @classmethod
    def take(cls, other_s: float | None = None) -> CpuSample:
        return cls(other_s, self_cpu_s(), machine_cpu_s())


# ---------------------------------------------------------------------------------------------
# one measured phase


@dataclass
class PhaseResult:
    name: str
    pattern: str
    attempted: int
    ok: int
    errors: Counter[str]
    wall_s: float
    latencies_s: list[float]
    not_sent: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    completions: list[float] = field(default_factory=list)
    machine_busy_cores: float | None = None  # whole machine, everything on it included

    @classmethod
    def from_loop(cls, name: str, pattern: str, attempted: int, loop: LoopResult) -> PhaseResult:
        return cls(
            name, pattern, attempted, len(loop.latencies), loop.errors, loop.wall_s,
            loop.latencies, loop.not_sent, completions=loop.completions,
        )  # fmt: skip

    def record_cpu(
        self, before: CpuSample, after: CpuSample, bench_label: str, other_label: str = ""
    ) -> None:
        """CPU spent between the two samples, per process, and the machine's busy cores."""
        self.cpu_s = {bench_label: after.bench_s - before.bench_s}
        if other_label and before.other_s is not None and after.other_s is not None:
            self.cpu_s[other_label] = after.other_s - before.other_s
        if before.machine is not None and after.machine is not None and self.wall_s > 0:
            self.machine_busy_cores = (after.machine[0] - before.machine[0]) / self.wall_s

    @property
    def rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def latency_ms(self) -> dict[str, float]:
        values = sorted(self.latencies_s)
        return {
            "p50": percentile(values, 0.50) * 1000,
            "p95": percentile(values, 0.95) * 1000,
            "p99": percentile(values, 0.99) * 1000,
            "max": (values[-1] * 1000) if values else float("nan"),
            "mean": (sum(values) / len(values) * 1000) if values else float("nan"),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pattern": self.pattern,
            "attempted": self.attempted,
            "ok": self.ok,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "not_sent_before_deadline": self.not_sent,
            "wall_s": round(self.wall_s, 3),
            "per_s": round(self.rate, 1),
            "latency_ms": {k: round(v, 2) for k, v in self.latency_ms().items()},
            "cpu_s": {k: round(v, 2) for k, v in self.cpu_s.items()},
            "machine_busy_cores": (
                round(self.machine_busy_cores, 2) if self.machine_busy_cores is not None else None
            ),
            "timeline": {k: round(v, 3) for k, v in timeline(self.completions).items()},
            "notes": self.notes,
        }
