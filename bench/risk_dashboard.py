"""`python -m bench.risk_dashboard`: server time of the risk dashboard (every panel of
analytics/dashboards/risk.py through the staff use case) on a reports_bench data dir.

    cp -r /tmp/qrb-10m-orig /tmp/qrb-riskdash     # never run on the original: it is migrated
    python -m bench.risk_dashboard --dir /tmp/qrb-riskdash

The reports_bench data has orders and events but no decisions: the first run migrates the copy
and generates them (bench/risk_dashboard_data.py), later runs reuse them. Prints p50/p95 ms per
panel and for the whole dashboard, per range (ending at the data's end) and scope (every company,
the largest company)."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from analytics.clickhouse import ClickHouse
from analytics.dashboards.reads import ClickHousePanels, PanelQuery
from analytics.dashboards.risk import RISK_DASHBOARD
from analytics.migrate import migrate
from api.staff.risk_dashboard_service import Bucket, RiskDashboard
from bench.report import machine_facts
from bench.reports.generate import DATABASE, Shape
from bench.risk_dashboard_data import generate_fraud
from bench.stats import percentile

RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
          "30d": timedelta(days=30), "93d": timedelta(days=93)}  # fmt: skip


def _ms(samples: list[float]) -> str:
    s = sorted(samples)
    return f"{percentile(s, 0.5):7.1f} {percentile(s, 0.95):7.1f}"


async def measure(ch: ClickHouse, end: datetime, ranges: list[str], reps: int, warmup: int) -> list[dict]:
    reads = ClickHousePanels(ch)
    dashboard = RiskDashboard(reads)
    big = (await ch.query(f"SELECT company_id FROM {DATABASE}.decisions GROUP BY company_id "
                          "ORDER BY count() DESC LIMIT 1"))[0][0]  # fmt: skip
    results = []
    print(f"{'range':>5} {'scope':>8} {'panel':<24} {'p50 ms':>7} {'p95 ms':>7}  rows")
    for name in ranges:
        start = end - RANGES[name]
        for scope, company in (("all", None), ("largest", big)):
            q = PanelQuery(start, end, Bucket.for_range(end - start).seconds, company)
            for panel in RISK_DASHBOARD.panels:
                samples: list[float] = []
                for k in range(warmup + reps):
                    t0 = time.perf_counter()
                    rows = await reads.rows(panel, q)
                    if k >= warmup:
                        samples.append((time.perf_counter() - t0) * 1000)
                print(f"{name:>5} {scope:>8} {panel.id:<24} {_ms(samples)}  {len(rows)}")
                results.append({"range": name, "scope": scope, "panel": panel.id, "ms": samples})
            samples = []
            for k in range(warmup + reps):
                t0 = time.perf_counter()
                await dashboard.panels(start, end, company)
                if k >= warmup:
                    samples.append((time.perf_counter() - t0) * 1000)
            print(f"{name:>5} {scope:>8} {'== whole dashboard':<24} {_ms(samples)}")
            results.append({"range": name, "scope": scope, "panel": "*", "ms": samples})
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.risk_dashboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--dir", type=Path, default=Path("/tmp/qrb-riskdash"))
    p.add_argument("--ranges", default="1h,24h,7d,30d,93d", help=f"comma-separated, of {', '.join(RANGES)}")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--chunk", type=int, default=2_000_000, help="orders per generating INSERT … SELECT")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.dir.resolve() == Path("/tmp/qrb-10m-orig"):
        raise SystemExit("copy the original first (see --help): this bench migrates its data dir")
    meta = orjson.loads((args.dir / "shape.json").read_bytes())
    end = datetime.fromisoformat(meta["end"])
    ch = ClickHouse.connect(f"chdb:///{args.dir.resolve()}/db", DATABASE)
    migrate(ch)
    # The reports_bench defaults: the same order numbers give the same orders. Tables already
    # filled by an earlier run are kept.
    shape = Shape(int(meta["orders"]), 100, 200, 1_000_000, 0.15, end)
    generate_fraud(ch, shape, args.chunk, print)
    machine = machine_facts()
    print(f"machine: nproc {machine['nproc']}, load {' '.join(machine.get('loadavg_at_start', []))}; "
          f"data ends {end:%Y-%m-%d %H:%M} UTC; {args.reps} reps after {args.warmup} warm-up")  # fmt: skip
    ranges = [r.strip() for r in args.ranges.split(",") if r.strip()]
    results = asyncio.run(measure(ch, end, ranges, args.reps, args.warmup))
    if args.json:
        args.json.write_bytes(orjson.dumps({"machine": machine, "results": results}, option=orjson.OPT_INDENT_2))
    ch.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
