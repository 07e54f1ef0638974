"""`quadra up` as a subprocess of the bench: fresh data dir and topic prefix, readiness, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.errors import BenchError
from bench.stats import process_cpu_s

REPO_ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_S = 60.0  # SIGTERM, then SIGKILL if it has not exited by then (the stop budget: 45 s)
_LOG_PROBLEM_MARKS = (" ERROR ", " WARNING ", " CRITICAL ", "Traceback")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def terminate(proc: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, then SIGKILL if it has not exited after STOP_GRACE_S; True when it was killed."""
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, STOP_GRACE_S)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait, 10)
        return True


class QuadraProcess:
    def __init__(
        self, bootstrap: str, prefix: str, data_dir: Path, port: int,
        extra_env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.bootstrap = bootstrap
        self.extra_env = dict(extra_env or {})
        self.sandbox_port = free_port()
        self.prefix = prefix
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / "quadra.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self.exit_code: int | None = None
        self.stop_s: float | None = None
        self.killed = False

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("QUADRA_CLICKHOUSE_DSN", None)  # the embedded engine, in the fresh data dir
        env.update(
            QUADRA_KAFKA_BOOTSTRAP=self.bootstrap,
            QUADRA_DATA_DIR=str(self.data_dir),
            QUADRA_API_HOST="127.0.0.1",
            QUADRA_API_PORT=str(self.port),
            QUADRA_TOPIC_PREFIX=self.prefix,
            QUADRA_SEED_DEMO_COMPANY="true",
            QUADRA_SANDBOX_PORT=str(self.sandbox_port),  # payouts through the in-process sandbox
            # The bench drives one key far above a partner's rate limit: measure the pipeline.
            QUADRA_RATE_LIMIT_PER_S="1000000000",
            QUADRA_RATE_LIMIT_BURST="1000000000",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        quadra = Path(sys.executable).parent / "quadra"
        command = (
            [str(quadra), "up"] if quadra.exists() else [sys.executable, "-m", "quadra.cli", "up"]
        )
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,  # our Ctrl-C is not its Ctrl-C
            )  # fmt: skip
        self.spawned_at = time.perf_counter()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def problems(self, limit: int = 12) -> list[str]:
        """Warning/error lines of its log, a shutdown that needed SIGKILL, a nonzero exit code."""
        found: list[str] = []
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            text = []
        hits = [line for line in text if any(m in line for m in _LOG_PROBLEM_MARKS)]
        if hits:
            found.append(f"quadra log has {len(hits)} warning/error lines, first ones:")
            found.extend(f"  {line[:200]}" for line in hits[:limit])
        if self.killed:
            found.append(
                f"quadra did not stop within {STOP_GRACE_S:.0f} s of SIGTERM and was killed"
            )
        elif self.exit_code not in (0, None):
            found.append(f"quadra exited with code {self.exit_code}")
        return found

    async def wait_ready(self, timeout_s: float) -> str:
        """Wait for GET /healthz and the demo API key in the data dir; return the key."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        key_path = self.data_dir / "demo-api-key"
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0, trust_env=False) as client:
            while True:
                if self.proc.poll() is not None:
                    raise BenchError(
                        f"quadra up exited with code {self.proc.returncode} before it was ready:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get("/healthz")
                    if response.status_code == 200 and key_path.exists():
                        key = key_path.read_text().strip()
                        if key:
                            return key
                if time.monotonic() > deadline:
                    raise BenchError(
                        f"quadra up not ready after {timeout_s:.0f} s:\n" + self.log_tail()
                    )
                await asyncio.sleep(0.2)

    def cpu_s(self) -> float | None:
        return process_cpu_s(self.proc.pid) if self.proc is not None else None

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            self.exit_code = proc.returncode if proc is not None else None
            return
        started = time.perf_counter()
        self.killed = await terminate(proc)
        self.stop_s = time.perf_counter() - started
        self.exit_code = proc.returncode
