"""bench.ui_pages: fill the data dir, start `quadra up` on it, measure every page."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson

import bench.ui
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from bench.report import machine_facts
from bench.reports.rollups import build_rollups
from bench.reports.generate import DATABASE, Shape
from bench.ui.fill import fill
from bench.ui.sample import sample_ids
from bench.ui.measure import measure, print_table, sign_in
from quadra.local_kafka import LocalKafka, LocalKafkaConfig
from quadra.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "bench@quadra.example", "a-long-bench-password"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shape_of(data: Path) -> Shape:
    meta = orjson.loads((data / "shape.json").read_bytes())
    # reports_bench's defaults: the same order numbers give the same orders.
    end = datetime.fromisoformat(meta["end"])
    # Dirs from before 28 Nov 2026 have no "time_ordered": their chunks spanned every day.
    return Shape(int(meta["orders"]), 100, 200, 1_000_000, 0.15, end, time_ordered=bool(meta.get("time_ordered")))


def fill_only(data: Path, chunk: int) -> None:
    ch = ClickHouse.connect(f"chdb:///{data.resolve()}/db", DATABASE)
    migrate(ch)
    fill(ch, shape_of(data), chunk, print)
    # Every rollup day the generator wrote (it marks nothing), as `quadra up`'s refresher would
    # in its first cycle, but before the pages are timed: a dir migrated to new rollups (the
    # decision rollups of migration 0010) gets them here, not while the bench measures.
    build_rollups(ch, asyncio.new_event_loop())
    ids = data / "ui-bench-ids.json"
    if not ids.exists():  # planted once: later runs ask about the same order
        ids.write_bytes(orjson.dumps(sample_ids(ch)))
    ch.close()


def _start_quadra(data: Path, bootstrap: str, port: int, log: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    home = data / "quadra-home"
    home.mkdir(exist_ok=True)
    link = home / "clickhouse"
    target = (data / "db").resolve()
    if link.is_symlink() and link.resolve() != target:  # a copied dir still points at its source
        link.unlink()
    if not link.exists():
        link.symlink_to(target)
    env = {**os.environ, "QUADRA_KAFKA_BOOTSTRAP": bootstrap, "QUADRA_DATA_DIR": str(home),
           "QUADRA_API_PORT": str(port), "QUADRA_TOPIC_PREFIX": f"uib{int(time.time())}.",
           "QUADRA_SANDBOX_PORT": str(_free_port()),
           # The page measurements must never wait on a partner rate limit.
           "QUADRA_RATE_LIMIT_PER_S": "1000000000", "QUADRA_RATE_LIMIT_BURST": "1000000000"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "quadra.cli", "up"], cwd=REPO, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"quadra up exited {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, env
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"quadra up not ready in 300 s; see {log}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ui_pages", description=bench.ui.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--dir", type=Path, required=True, help="a COPY of a reports_bench data dir")
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--chunk", type=int, default=2_000_000, help="orders per generating INSERT … SELECT")
    p.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--settle-s", type=float, default=30, help="wait after start-up (rollups, merges)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.dir.resolve() == Path("/tmp/qrb-10m-orig"):
        raise SystemExit("copy the original first: this bench migrates and fills its data dir")
    if args.fill_only:
        fill_only(args.dir, args.chunk)
        return 0
    # The embedded engine allows one process per data dir: fill in a child, then quadra up.
    subprocess.run([sys.executable, "-m", "bench.ui_pages", "--dir", str(args.dir), "--fill-only",
                    "--chunk", str(args.chunk)], cwd=REPO, check=True)  # fmt: skip
    version = Settings.model_fields["local_kafka_version"].default
    kafka = LocalKafka(LocalKafkaConfig(
        home=Path(tempfile.mkdtemp(prefix="quadra-uibench-kafka-")), port=_free_port(),
        controller_port=_free_port(), version=version, libs_dir=REPO / "var" / "kafka" / f"libs-{version}",
    ))  # fmt: skip
    kafka.ensure_jars()
    kafka.start()
    try:
        return _measure(args, kafka)
    finally:
        kafka.stop()  # also when quadra up never started: no broker left behind


def _measure(args: argparse.Namespace, kafka: LocalKafka) -> int:
    port = _free_port()
    log = args.dir / "quadra-up.log"
    proc, env = _start_quadra(args.dir, kafka.bootstrap, port, log)
    try:
        subprocess.run([sys.executable, "-m", "quadra.cli", "admin", "create-user", "--email", ADMIN,
                        "--name", "Bench", "--role", "admin", "--password-stdin"], cwd=REPO, env=env,
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)  # fmt: skip
        time.sleep(args.settle_s)
        shape = shape_of(args.dir)
        machine = machine_facts()
        print(f"machine: nproc {machine['nproc']}, load {' '.join(machine.get('loadavg_at_start', []))}; "
              f"{shape.orders:,} orders ending {shape.end:%Y-%m-%d}; {args.reps} reps after {args.warmup} warm-up")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            sign_in(client, ADMIN, PASSWORD)
            results = measure(client, args.dir, shape.end - timedelta(milliseconds=1), args.reps, args.warmup)
        print_table(results)
        if args.json:
            args.json.write_bytes(orjson.dumps({"machine": machine, "results": results}, option=orjson.OPT_INDENT_2))
    finally:
        proc.terminate()
        proc.wait(120)
    return 0
