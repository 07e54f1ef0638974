"""reports_bench's options and run: data dir, generation or reuse, timings, JSON."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

import bench.reports
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from bench.report import machine_facts
from bench.reports.generate import DATABASE, Shape, Step, generate
from bench.reports.investigate import check_ledger, investigate, print_facts
from bench.reports.measure import pick_scenario, print_ratios, run_queries
from bench.reports.queries import reports_for
from bench.reports.rollups import check_exact, timed_build

MARKER = ".quadra-reports-bench"  # a data dir this bench created (and may delete)


def prepare_dir(path: Path, reuse: bool) -> bool:
    """True when the data is already there (reuse)."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} exists and was not made by this bench; pick another --dir")
        if reuse:
            return True
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.reports_bench", description=bench.reports.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--orders", type=int, default=10_000_000)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "quadra-reports-bench")
    p.add_argument("--reuse", action="store_true", help="keep the data of an earlier run with --dir")
    p.add_argument("--days", type=int, default=100)
    p.add_argument("--companies", type=int, default=200)
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--dup-fraction", type=float, default=0.15,
                   help="share of completed/failed orders with an older version row")
    p.add_argument("--random-times", action="store_true",
                   help="spread every generating chunk over the whole period (the layout before 28 Nov 2026: "
                        "each part spans every day) instead of time-ordered chunks, as traffic arrives")
    p.add_argument("--chunk", type=int, default=2_000_000, help="orders per INSERT … SELECT")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--stand-ins", action="store_true", help="time the stand-in SQL, not analytics.reports")
    p.add_argument("--investigate", action="store_true",
                   help="then EXPLAIN, FINAL settings, OPTIMIZE FINAL and time again")
    p.add_argument("--skip-live", action="store_true",
                   help="do not also time the FINAL-only variants of what the daily rollups answer")
    p.add_argument("--only", default="",
                   help="comma-separated texts: time only the lines whose name holds one "
                        "(e.g. 'median co, amount,card last4,daily'); the rollup check is skipped")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    machine = machine_facts()
    print(f"machine: nproc {machine['nproc']}, {machine.get('cpu_model', '?')}, "
          f"{machine.get('mem_gib', '?')} GiB, load {' '.join(machine.get('loadavg_at_start', []))}, "
          f"chdb {machine['packages'].get('chdb', '?')}")  # fmt: skip
    reused = prepare_dir(args.dir, args.reuse)
    (args.dir / MARKER).write_text("")
    t_all = time.perf_counter()
    ch = ClickHouse.connect(f"chdb:///{args.dir.resolve()}/db", DATABASE)
    migrate(ch)
    meta_file = args.dir / "shape.json"
    steps: list[Step] = []
    if reused and meta_file.exists():
        meta = orjson.loads(meta_file.read_bytes())
        end = datetime.fromisoformat(meta["end"])
        print(f"reusing {args.dir}: {meta}")
    else:
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        shape = Shape(args.orders, args.days, args.companies, args.users, args.dup_fraction, end,
                      time_ordered=not args.random_times)
        print(f"generating {args.orders:,} orders over {args.days} days (until {end:%Y-%m-%d}), "
              f"{args.companies} companies, {args.users:,} end users, into {args.dir}")  # fmt: skip
        t0 = time.perf_counter()
        steps = generate(ch, shape, args.chunk, lambda m: print(m, flush=True))
        gen_s = time.perf_counter() - t0
        total = sum(s.rows for s in steps if not s.name.startswith("ledger:"))
        print(f"generated {total:,} rows in {gen_s:.1f} s ({total / gen_s:,.0f} rows/s overall)")
        meta_file.write_bytes(orjson.dumps({"end": end.isoformat(), "orders": args.orders,
                                            "generation_s": gen_s, "time_ordered": shape.time_ordered}))  # fmt: skip
    print_facts(ch)
    print("ledger check:", check_ledger(ch))
    loop = asyncio.new_event_loop()
    rollups = timed_build(ch, loop, end)

    reports = reports_for(ch, args.stand_ins)
    print(f"measured: {reports.kind}; {args.reps} reps after {args.warmup} warm-up, one at a time\n")
    scenario = pick_scenario(ch, end)
    print(f"now = {end:%Y-%m-%d %H:%M} UTC; one company = {scenario.ref} ({scenario.ref_label}), "
          f"median company = {scenario.mid}")  # fmt: skip
    live_too = not (args.skip_live or args.stand_ins)
    only = tuple(o.strip() for o in args.only.split(",") if o.strip())
    if live_too and not only:
        wrong = check_exact(reports, scenario, loop)
        print(f"rollup answers == live answers: {'yes' if not wrong else 'NO: ' + '; '.join(wrong)}\n")
    timings = run_queries(ch, reports, scenario, args.reps, args.warmup, loop, live_too, only)
    print_ratios(timings)
    extra = investigate(ch, reports, scenario, args, loop) if args.investigate else {}
    print(f"\ntotal run time {time.perf_counter() - t_all:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps({
            "args": {k: str(v) for k, v in vars(args).items()}, "machine": machine,
            "generation": [vars(s) for s in steps], "rollups": rollups, "measured": reports.kind,
            "timings": [t.row() for t in timings], **extra,
        }, option=orjson.OPT_INDENT_2))  # fmt: skip
    loop.close()
    ch.close()
    return 0
