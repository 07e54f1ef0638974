"""`quadra up` as a real subprocess, driven like an operator would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


class QuadraProcess:
    def __init__(self, data_dir: Path, port: int, bootstrap: str, topic_prefix: str) -> None:
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "QUADRA_KAFKA_BOOTSTRAP": bootstrap,
            "QUADRA_DATA_DIR": str(data_dir),
            "QUADRA_API_PORT": str(port),
            "QUADRA_TOPIC_PREFIX": topic_prefix,
            "QUADRA_SINK_FLUSH_INTERVAL_S": "0.2",
            "QUADRA_SINK_LOG_FLUSH_INTERVAL_S": "0.2",
            "QUADRA_SANDBOX_PORT": str(free_port()),  # payouts go through the in-process sandbox
            # Many tests share one key of one `quadra up` (schemathesis drives it hard): the
            # rate limit itself is tested in tests/api/test_rate_limit_routes.py.
            "QUADRA_RATE_LIMIT_PER_S": "1000000",
            "QUADRA_RATE_LIMIT_BURST": "1000000",
            "QUADRA_RATE_LIMIT_FAILED_AUTH_PER_S": "1000000",
            "QUADRA_RATE_LIMIT_FAILED_AUTH_BURST": "1000000",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "quadra-up.log"

    def start(self, timeout: float = 300) -> None:
        """Returns once /healthz answers; on failure the process is killed, so no test leaves a
        `quadra up` behind (a start outside a test's try/finally has no one else to stop it).
        The timeout is for a loaded 2-core machine: a start takes 10-20 s on a quiet one."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quadra.cli", "up"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            self._until_ready(timeout)
        except BaseException:
            if self.proc.poll() is None:
                self.kill()
            raise

    def _until_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"quadra up exited {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"quadra up not ready in {timeout}s:\n{self.tail()}")

    @property
    def key(self) -> str:
        return (self.data_dir / "demo-api-key").read_text().strip()

    def create_staff_user(self, email: str, password: str, role: str) -> None:
        """`quadra admin create-user`, as an operator would; the broker must be up."""
        done = subprocess.run(
            [sys.executable, "-m", "quadra.cli", "admin", "create-user", "--email", email,
             "--name", email.split("@")[0], "--role", role, "--password-stdin"],
            cwd=REPO, env=self.env, input=password + "\n", capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    def terminate(self, timeout: float = 90) -> int:
        """SIGTERM, then the exit code; killed if it outlives `timeout` (the stop budget is 45 s,
        quadra/stopping.py), so a test that fails here leaves nothing running."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def clickhouse(self, sql: str) -> list[list[object]]:
        """Query the embedded ClickHouse of a stopped instance from a separate process
        (this test process may hold another chdb path)."""
        script = textwrap.dedent(
            f"""
            import json, sys, clickhouse_connect
            c = clickhouse_connect.get_client(dsn="chdb:///{(self.data_dir / 'clickhouse').resolve()}")
            rows = c.query(sys.stdin.read()).result_rows
            print(json.dumps([list(r) for r in rows], default=str))
            """
        )
        out = subprocess.run(
            [sys.executable, "-c", script], input=sql.encode(), capture_output=True, timeout=120,
            check=True, cwd=REPO,
        )  # fmt: skip
        return json.loads(out.stdout)
