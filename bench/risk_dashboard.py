"""`python -m bench.risk_dashboard`: server time of the risk dashboard (every panel of
analytics/dashboards/risk.py through the staff use case) on a reports_bench data dir.

    cp -r /tmp/qrb-10m-orig /tmp/qrb-riskdash     # never run on the original: it is migrated
    python -m bench.risk_dashboard --dir /tmp/qrb-riskdash

The reports_bench data has orders and events but no decisions: the first run migrates the copy
and generates them (bench/risk_dashboard_data.py), later runs reuse them. Prints p50/p95 ms per
panel and for the whole dashboard, per range (ending at the data's end) and scope (every company,
the largest company), next to the same reads before the rollups (the panels' own SQL, rule
statistics over `decisions FINAL`) timed in the same run, and the ratio of their p50s: the
machine is shared, so the ratio is the figure that travels. The dashboard's rollups are built
first (every day without one), as `quadra up`'s refresher does at start. `== whole dashboard`
reads the panels on the one connection, `== whole, on read lanes` on `--lanes` more, as
`quadra up` does (analytics/read_lanes.py)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.dashboards.reads import ClickHousePanels, PanelQuery
from analytics.dashboards.risk import RISK_DASHBOARD
from analytics.migrate import migrate
from analytics.read_lanes import ReadLanes
from analytics.rollups.definitions import DECISION_ROLLUPS, DECISIONS, RULE_HITS, SUSPECTS
from analytics.rollups.marks import mark_dirty
from analytics.rollups.refresh import build_missing
from analytics.rule_stats import rule_stats
from api.staff.risk_dashboard_service import Bucket, RiskDashboard
from bench.report import machine_facts
from bench.reports.generate import DATABASE, Shape
from bench.risk_dashboard_data import generate_fraud
from bench.stats import percentile

RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
          "30d": timedelta(days=30), "93d": timedelta(days=93)}  # fmt: skip


def _p(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return percentile(s, 0.5), percentile(s, 0.95)


async def _pair(
    name: str, scope: str, label: str, rollup: Callable[[], Awaitable[Any]], live: Callable[[], Awaitable[Any]],
    reps: int, warmup: int, baseline: bool,
) -> dict:  # fmt: skip
    """Times `rollup` and, with `baseline`, `live` (the read before the rollups), alternating
    within the same reps so that a busy machine slows both alike: the ratio of the p50s is the
    figure to compare across runs."""
    fast: list[float] = []
    slow: list[float] = []
    cpu: list[float] = []  # process CPU of `rollup` (chdb runs in this process): steadier when shared
    for k in range(warmup + reps):
        for run, samples in ((rollup, fast), (live, slow)) if baseline else ((rollup, fast),):
            t0, c0 = time.perf_counter(), time.process_time()
            await run()
            if k >= warmup:
                samples.append((time.perf_counter() - t0) * 1000)
                if samples is fast:
                    cpu.append((time.process_time() - c0) * 1000)
    f50, f95 = _p(fast)
    line = f"{name:>5} {scope:>8} {label:<24} {f50:7.1f} {f95:7.1f} {_p(cpu)[0]:7.1f}"
    out = {"range": name, "scope": scope, "panel": label, "ms": fast, "cpu_ms": cpu}
    if baseline:
        s50, s95 = _p(slow)
        line += f"  {s50:7.1f} {s95:7.1f}  {f50 / s50:5.2f}"
        out["baseline_ms"] = slow
    print(line, flush=True)
    return out


async def measure(
    ch: ClickHouse, end: datetime, ranges: list[str], reps: int, warmup: int, baseline: bool = True,
    lanes: ReadLanes | None = None,
) -> list[dict]:  # fmt: skip
    """Every panel, the whole dashboard and the rule statistics, from the rollups; with
    `baseline` also as before them (the panels' own SQL, rule statistics over decisions FINAL);
    with `lanes` also the whole dashboard read on them, as `quadra up` reads it."""
    reads, raw = ClickHousePanels(ch), ClickHousePanels(ch, live=True)
    dashboard, raw_dashboard = RiskDashboard(reads), RiskDashboard(raw)
    on_lanes = RiskDashboard(ClickHousePanels(lanes)) if lanes is not None else None
    big = (await ch.query(f"SELECT company_id FROM {DATABASE}.decisions GROUP BY company_id "
                          "ORDER BY count() DESC LIMIT 1"))[0][0]  # fmt: skip
    results = []
    print(f"{'range':>5} {'scope':>8} {'panel':<24} {'p50 ms':>7} {'p95 ms':>7} {'cpu p50':>7}"
          + ("  base p50 base p95  ratio" if baseline else ""))  # fmt: skip
    for name in ranges:
        start = end - RANGES[name]
        for scope, company in (("all", None), ("largest", big)):
            q = PanelQuery(start, end, Bucket.for_range(end - start).seconds, company)
            for panel in RISK_DASHBOARD.panels:
                results.append(await _pair(name, scope, panel.id, lambda p=panel: reads.rows(p, q),
                                           lambda p=panel: raw.rows(p, q), reps, warmup, baseline))  # fmt: skip
            results.append(await _pair(
                name, scope, "== whole dashboard", lambda: dashboard.panels(start, end, company),
                lambda: raw_dashboard.panels(start, end, company), reps, warmup, baseline,
            ))  # fmt: skip
            if on_lanes is not None:
                results.append(await _pair(
                    name, scope, "== whole, on read lanes", lambda: on_lanes.panels(start, end, company),
                    lambda: raw_dashboard.panels(start, end, company), reps, warmup, baseline,
                ))  # fmt: skip
            results.append(await _pair(
                name, scope, "== rule statistics", lambda: rule_stats(ch, start, end, company),
                lambda: rule_stats(ch, start, end, company, live=True), reps, warmup, baseline,
            ))  # fmt: skip
    return results


async def _prepare_rollups(ch: ClickHouse, end: datetime, dirty_latest: bool) -> None:
    """The dashboard's rollups of every day without one (the generator marks nothing); with
    `dirty_latest` the last day marked again, as traffic keeps it between refreshes: read live
    (the decisions' marks are also the suspects rollup's)."""
    for rollup in (*DECISION_ROLLUPS, SUSPECTS):
        done = await build_missing(ch, rollup)
        if done.days:
            print(f"rollup {rollup.name}: {done.days} days built in {done.seconds:.1f} s", flush=True)
    if dirty_latest:
        latest = (end - timedelta(milliseconds=1)).date()
        await mark_dirty(ch, DECISIONS, [latest], (RULE_HITS,))
        print(f"marked {latest} dirty: read live, as under traffic")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.risk_dashboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--dir", type=Path, default=Path("/tmp/qrb-riskdash"))
    p.add_argument("--ranges", default="1h,24h,7d,30d,93d", help=f"comma-separated, of {', '.join(RANGES)}")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--chunk", type=int, default=2_000_000, help="orders per generating INSERT … SELECT")
    p.add_argument("--no-baseline", action="store_true", help="time the rollup reads only")
    p.add_argument("--dirty-latest", action="store_true", help="mark the last day dirty (as under traffic)")
    p.add_argument("--lanes", type=int, default=2,
                   help="read lanes for the extra whole-dashboard row, as quadra up has (1: no such row)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.dir.resolve() == Path("/tmp/qrb-10m-orig"):
        raise SystemExit("copy the original first (see --help): this bench migrates its data dir")
    meta = orjson.loads((args.dir / "shape.json").read_bytes())
    # 1 ms before the data's end, as bench.ui_pages asks: ranges with partial first and last hours.
    end = datetime.fromisoformat(meta["end"]) - timedelta(milliseconds=1)
    dsn = f"chdb:///{args.dir.resolve()}/db"
    ch = ClickHouse.connect(dsn, DATABASE)
    migrate(ch)
    # The reports_bench defaults: the same order numbers give the same orders. Tables already
    # filled by an earlier run are kept.
    # Dirs from before 28 Nov 2026 have no "time_ordered": their chunks spanned every day.
    shape = Shape(int(meta["orders"]), 100, 200, 1_000_000, 0.15, end, time_ordered=bool(meta.get("time_ordered")))
    generate_fraud(ch, shape, args.chunk, print)
    machine = machine_facts()
    print(f"machine: nproc {machine['nproc']}, load {' '.join(machine.get('loadavg_at_start', []))}; "
          f"data ends {end:%Y-%m-%d %H:%M} UTC; {args.reps} reps after {args.warmup} warm-up")  # fmt: skip
    ranges = [r.strip() for r in args.ranges.split(",") if r.strip()]
    asyncio.run(_prepare_rollups(ch, end, args.dirty_latest))
    lanes = ReadLanes.connect(dsn, DATABASE, args.lanes) if args.lanes > 1 else None
    results = asyncio.run(measure(ch, end, ranges, args.reps, args.warmup, not args.no_baseline, lanes))
    if lanes is not None:
        lanes.close()
    if args.json:
        args.json.write_bytes(orjson.dumps({"machine": machine, "results": results}, option=orjson.OPT_INDENT_2))
    ch.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
