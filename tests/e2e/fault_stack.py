"""The scaled layout as separate processes, for the fault-injection matrix (docs/reliability.md):
the provider sandbox (never killed: it counts payouts), one `quadra worker` (intake, ledger,
dispatch, notify) and one front process running the API and the sink (the embedded ClickHouse
belongs to one process, which must serve both). A supervisor restarts whichever dies, as an
orchestrator would, and records how it died. Crash points (streams/fault_points.py) are armed
through `faults`, a directory every process is started with."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.crash_observers import start_sandbox
from streams.fault_points import CRASH_DIR
from tests.conftest import REPO, free_port

# `quadra up` without the worker: API + sink (+ the demo company's seed) in one process.
FRONT = (
    "import asyncio, sys\n"
    "from quadra.cli import _configure_logging\n"
    "from quadra.cli_common import load_settings\n"
    "from quadra.process import run_process\n"
    "_configure_logging(False)\n"
    "sys.exit(asyncio.run(run_process(load_settings(), 'api,sink', True)))\n"
)


@dataclass
class Supervised:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)  # return codes of unexpected deaths
    starts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def dead(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def stop(self, timeout: float = 60) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class FaultStack:
    def __init__(self, root: Path, bootstrap: str, prefix: str) -> None:
        self.root = root
        self.faults = root / "faults"
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.api_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.env = {
            **os.environ, "PYTHONPATH": str(REPO),
            "QUADRA_KAFKA_BOOTSTRAP": bootstrap, "QUADRA_TOPIC_PREFIX": prefix,
            CRASH_DIR: str(self.faults),
            "QUADRA_SINK_FLUSH_INTERVAL_S": "0.2",
            "QUADRA_SINK_LOG_FLUSH_INTERVAL_S": "0.2",
            # The money path and its faults, not velocity rules (one end user orders often here).
            "QUADRA_FRAUD_BUILTIN_RULES": "false",
            "QUADRA_INTAKE_REPLY_TIMEOUT_S": "3",  # a dead intake answers 503 sooner
            "QUADRA_RATE_LIMIT_PER_S": "1000000", "QUADRA_RATE_LIMIT_BURST": "1000000",
        }  # fmt: skip
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.sandbox_url = ""
        self.worker: Supervised | None = None
        self.front: Supervised | None = None
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return (self.root / "front" / "demo-api-key").read_text().strip()

    @property
    def front_env(self) -> dict[str, str]:
        assert self.front is not None
        return self.front.env

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.sandbox, self.sandbox_url = start_sandbox(self.root, self.env)
        provider = {"QUADRA_PAYOUTS": "providers", "QUADRA_PROVIDERS_URL": self.sandbox_url}
        self.worker = Supervised(
            "worker", [sys.executable, "-m", "quadra.cli", "worker"],
            {**self.env, **provider, "QUADRA_WORKER_ID": "w1", "QUADRA_DATA_DIR": str(self.root / "worker")},
            self.root / "worker.log",
        )  # fmt: skip
        self.front = Supervised(
            "front", [sys.executable, "-c", FRONT],
            {**self.env, **provider, "QUADRA_DATA_DIR": str(self.root / "front"),
             "QUADRA_API_PORT": str(self.api_port)},
            self.root / "front.log",
        )  # fmt: skip
        self.worker.start()  # first: the demo seed goes through its registry agent
        self.front.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in (self.worker, self.front):
                assert p is not None
                if p.dead():
                    raise AssertionError(f"{p.name} exited {p.proc.returncode}:\n{p.tail()}")  # type: ignore[union-attr]
            try:
                ready = httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready and (self.root / "front" / "demo-api-key").exists():
                return
            time.sleep(0.2)
        raise AssertionError(f"the front did not start in {timeout}s:\n{self.front.tail() if self.front else ''}")

    def supervise(self) -> None:
        """From now on a process that dies is restarted at once (its exit code recorded)."""
        self._supervisor = asyncio.create_task(self._watch(), name="supervisor")

    async def _watch(self) -> None:
        while True:
            for p in (self.worker, self.front):
                if p is not None and p.dead():
                    assert p.proc is not None
                    p.exits.append(p.proc.returncode)
                    p.start()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        for p in (self.front, self.worker):
            if p is not None:
                await asyncio.to_thread(p.stop)
        if self.sandbox is not None and self.sandbox.poll() is None:
            self.sandbox.terminate()
            self.sandbox.wait(10)

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "quadra.cli", *args], cwd=REPO, env=env or self.env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    def clickhouse(self, sql: str) -> list[list[object]]:
        """Query the front's embedded ClickHouse once the front is stopped (from a separate
        process: this test process may hold another chdb path)."""
        script = (
            "import json, sys, clickhouse_connect\n"
            f"c = clickhouse_connect.get_client(dsn='chdb:///{(self.root / 'front' / 'clickhouse').resolve()}')\n"
            "print(json.dumps([list(r) for r in c.query(sys.stdin.read()).result_rows], default=str))\n"
        )
        out = subprocess.run([sys.executable, "-c", script], input=sql, capture_output=True, text=True,
                             timeout=120, check=True, cwd=REPO)  # fmt: skip
        return json.loads(out.stdout)  # type: ignore[no-any-return]
