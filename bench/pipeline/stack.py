"""The processes under test: `quadra up`, an optional second `quadra worker`, the echo server.

What a second worker needs (found by reading quadra/runtime.py and bench/ledger_crash.py):

- the same broker and QUADRA_TOPIC_PREFIX, so it joins the same consumer groups and the
  partitions are shared between the two processes;
- its own QUADRA_WORKER_ID: the transactional processors (intake, ledger, notify) derive their
  transactional ids from it, and the default (the host name) is the same for both processes on
  one machine, so the second would fence the first's producers. `quadra up` gets one too;
- its own QUADRA_DATA_DIR (Faust's worker-state directory lives there);
- no ClickHouse: the worker role opens none (runtime.check_role_layout only guards the API and
  the sink), so the embedded chdb of `quadra up` stays with `quadra up`;
- QUADRA_PROVIDERS_URL pointing at the provider sandbox that `quadra up` serves in process
  (only a process running every role serves it), with QUADRA_PAYOUTS=providers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.errors import BenchError
from bench.quadra_process import REPO_ROOT, QuadraProcess, free_port, terminate


def up_process(bootstrap: str, prefix: str, workdir: Path) -> QuadraProcess:
    data_dir = workdir / "up"
    data_dir.mkdir(parents=True, exist_ok=True)
    return QuadraProcess(
        bootstrap, prefix, data_dir, free_port(), extra_env={"QUADRA_WORKER_ID": "bench-up"}
    )


class Subprocess:
    """A child process with its log in the work dir, stopped with SIGTERM (SIGKILL after grace)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log_path = name, command, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None
        self.killed = False

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def problems(self) -> list[str]:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace").splitlines()
            hits = [line for line in text if " ERROR " in line or "Traceback" in line]
            if hits:
                return [f"{self.name} log has {len(hits)} error lines, first: {hits[0][:200]}"]
        return []

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            self.exit_code = proc.returncode if proc is not None else None
            return
        self.killed = await terminate(proc)
        self.exit_code = proc.returncode


def second_worker(up: QuadraProcess, workdir: Path) -> Subprocess:
    data_dir = workdir / "worker2"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("QUADRA_CLICKHOUSE_DSN", None)
    env.update(
        QUADRA_KAFKA_BOOTSTRAP=up.bootstrap,
        QUADRA_TOPIC_PREFIX=up.prefix,
        QUADRA_DATA_DIR=str(data_dir),
        QUADRA_WORKER_ID="bench-w2",
        QUADRA_PAYOUTS="providers",
        QUADRA_PROVIDERS_URL=f"http://127.0.0.1:{up.sandbox_port}",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: v for k, v in up.extra_env.items() if k != "QUADRA_WORKER_ID"})
    return Subprocess(
        "worker2", [sys.executable, "-m", "quadra.cli", "worker"], env, workdir / "worker2.log"
    )


def echo_server(workdir: Path) -> tuple[Subprocess, str]:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = Subprocess(
        "echo", [sys.executable, "-m", "bench.pipeline.echo", str(port)], env, workdir / "echo.log"
    )
    return proc, f"http://127.0.0.1:{port}"


async def wait_http(url: str, proc: Subprocess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        while True:
            if not proc.running():
                raise BenchError(f"{proc.name} exited before it answered:\n{proc.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise BenchError(f"{proc.name} not answering after {timeout_s:.0f} s")
            await asyncio.sleep(0.2)


# Lines a process logs when its consumer groups move partitions (streams/txn_processor.py,
# streams/notify.py, aiokafka's coordinator).
_REBALANCE_MARKS = ("loaded state of partitions", "loaded 0 pending", "pending deliveries", "rebalanc")


def rebalance_lines(*logs: Path) -> int:
    count = 0
    for log in logs:
        with contextlib.suppress(OSError):
            count += sum(
                1 for line in log.read_text(errors="replace").splitlines()
                if any(mark in line for mark in _REBALANCE_MARKS)
            )  # fmt: skip
    return count


async def wait_rebalanced(worker: Subprocess, up_log: Path, quiet_s: float, timeout_s: float) -> float:
    """Until the second worker has taken partitions (its ledger loaded state) and neither
    process has logged a rebalance line for `quiet_s`; the seconds it took. (aiokafka's
    DescribeGroups cannot decode this broker's answer, so the logs tell.)"""
    started = time.monotonic()
    deadline = started + timeout_s
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        if not worker.running():
            raise BenchError(f"{worker.name} exited:\n{worker.log_tail()}")
        taken = "quadra-ledger-bench-w2: loaded state" in worker.log_tail(400)
        count = rebalance_lines(worker.log_path, up_log)
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif taken and time.monotonic() - last_change >= quiet_s:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise BenchError(f"groups still rebalancing {timeout_s:.0f} s after {worker.name} started")
