"""Figures per step (pure), ratios to the baselines, the printed table and the JSON document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bench.stats import percentile

PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))


def latency_ms(values_s: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (NaN when there are no values)."""
    values = sorted(values_s)
    out = {name: percentile(values, q) * 1000 for name, q in PERCENTILES}
    out["max"] = values[-1] * 1000 if values else float("nan")
    out["n"] = float(len(values))
    return out


def per_second(times: list[float]) -> float:
    """The rate at which events came, from the first to the last one: (n − 1) / span. Not
    count / step length: with latencies longer than a short step, that would understate it."""
    if len(times) < 2:
        return 0.0
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else 0.0


def ratio(value: float, baseline: float) -> float:
    """value / baseline; NaN when either is missing or the baseline is zero."""
    if value != value or baseline != baseline or not baseline:
        return float("nan")
    return value / baseline


def ratios(figures: Mapping[str, float], baseline: Mapping[str, float]) -> dict[str, float]:
    """Key-by-key ratios for the keys both have (n excluded)."""
    return {k: ratio(v, baseline[k]) for k, v in figures.items() if k in baseline and k != "n"}


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.{digits}f}"


def _lat_cells(lat: Mapping[str, float]) -> str:
    return " ".join(f"{fmt(lat.get(k)):>8}" for k in ("p50", "p95", "p99", "max"))


def print_report(doc: Mapping[str, Any]) -> None:
    """The human table: one block per rate, rows for each system and figure, ratios at the end."""
    setting = doc["setting"]
    print(
        f"\nbench.pipeline  workers {setting['workers']}  duration {setting['duration_s']} s per "
        f"step  client {setting['client']}  nproc {doc['machine']['nproc']}  "
        f"load at start {' '.join(doc['machine'].get('loadavg_at_start', []))}"
    )
    head = f"{'':28}{'sent/s':>8}{'done/s':>8}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    for step in doc["steps"]:
        print(f"\nrate {step['rate']:g}/s   load (1-min, max during the step) {fmt(step.get('load_1m'), 2)}")
        print(head)
        for row in step["rows"]:
            sent = fmt(row.get("sent_per_s"))
            done = fmt(row.get("per_s"))
            print(f"{row['label']:28}{sent:>8}{done:>8}{row.get('errors', 0):>7} {_lat_cells(row['latency_ms'])}")
            if row.get("ratio"):
                r = row["ratio"]
                cells = " ".join(f"{fmt(r.get(k), 2):>8}" for k in ("p50", "p95", "p99", "max"))
                print(f"{'  ÷ ' + row['ratio_to']:28}{'':8}{fmt(r.get('per_s'), 2):>8}{'':7} {cells}")
        loop = step.get("pipeline_loop")
        if loop:
            print(
                f"  client: achieved {fmt(loop['achieved_rate'])}/s of {step['rate']:g}, "
                f"late {loop['late']}, dropped {loop['dropped']}, unfinished {loop['unfinished']}, "
                f"send lateness max {fmt(loop['max_lateness_ms'])} ms"
            )
        for name, proc in step.get("processes", {}).items():
            print(
                f"  {name:10} cpu {fmt(proc['cpu_cores'] * 100, 0):>4} % of a core, "
                f"{fmt(proc.get('cpu_ms_per_order'))} ms per decided order   rss "
                f"{fmt(proc['rss_mb_start'], 0)} → {fmt(proc['rss_mb_end'], 0)} MB (max {fmt(proc['rss_mb_max'], 0)})"
            )
        for group, lag in step.get("lag", {}).items():
            print(f"  lag {group:42} max {lag['max']:>6}  last {lag['last']:>6}  {lag['trend']}")
        if step.get("statuses"):
            print(f"  final statuses: {step['statuses']}")
        if step.get("errors"):
            print(f"  errors: {step['errors']}")
    for problem in doc.get("problems", []):
        print(f"problem: {problem}")
