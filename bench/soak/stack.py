"""What the soak runs and breaks: a broker of its own, the provider sandbox, `quadra up` and one
extra `quadra worker` (bench/pipeline/stack.py says what a second worker needs).

The provider sandbox runs as its own process (`quadra sandbox`), never killed, and `quadra up`
is told not to serve one (QUADRA_SANDBOX_EMBEDDED=false) but to pay through it like the extra
worker: the sandbox counts every execution in memory, so a sandbox inside `quadra up` would
forget, at each SIGKILL of `quadra up`, what it had paid, and "paid exactly once" could not be
checked (a payout repeated after the kill would even look like a first one).

Each restart appends to the process's log: the previous log is renamed `<name>.log.<n>` first.
A start that exits or does not get ready within the start-up timeout is noted, killed and tried
again (up to START_TRIES): on the loaded 2-core machine a `quadra up` once failed its start
(KafkaTimeoutError after 40 s while its own event loop stalled) and then hung in its shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from bench.crash_observers import start_sandbox
from bench.errors import BenchError
from bench.pipeline.stack import Subprocess, second_worker
from bench.quadra_process import QuadraProcess, free_port
from quadra.local_kafka import LocalKafka, LocalKafkaConfig
from quadra.settings import Settings

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
START_TRIES = 3


def _keep_log(path: Path) -> None:
    """Moves a log aside before its process is started again (Popen opens it with 'wb')."""
    if not path.exists():
        return
    n = 1
    while path.with_name(f"{path.name}.{n}").exists():
        n += 1
    path.rename(path.with_name(f"{path.name}.{n}"))


class SoakStack:
    def __init__(self, work: Path, prefix: str, startup_timeout_s: float) -> None:
        self.work = work
        self.prefix = prefix
        self.startup_timeout_s = startup_timeout_s
        version = Settings.model_fields["local_kafka_version"].default
        self.broker = LocalKafka(LocalKafkaConfig(
            home=work / "kafka", port=free_port(), controller_port=free_port(), version=version,
            libs_dir=REPO / "var" / "kafka" / f"libs-{version}"))  # fmt: skip
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.sandbox_url = ""
        self.up: QuadraProcess | None = None
        self.worker: Subprocess | None = None
        self.demo_key = ""
        self.unexpected_exits: list[str] = []  # processes that died without being killed
        self.start_failures: list[str] = []  # starts that exited or hung (then killed, tried again)

    # --- start and stop ---------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self.broker.ensure_jars)
        await asyncio.to_thread(self.broker.start, 180)
        self.sandbox, self.sandbox_url = await asyncio.to_thread(start_sandbox, self.work, dict(os.environ))
        up_dir = self.work / "up"
        up_dir.mkdir(parents=True, exist_ok=True)
        self.up = QuadraProcess(self.broker.bootstrap, self.prefix, up_dir, free_port(), extra_env={
            "QUADRA_WORKER_ID": "soak-up",
            "QUADRA_PAYOUTS": "providers",
            "QUADRA_SANDBOX_EMBEDDED": "false",
            "QUADRA_PROVIDERS_URL": self.sandbox_url,
        })  # fmt: skip
        self.demo_key = await self._start_up()
        self.worker = second_worker(self.up, self.work)
        await self._start_worker()

    async def stop_quadra(self) -> dict[str, int | None]:
        """SIGTERM to both Quadra processes (SIGKILL after the grace); their exit codes."""
        codes: dict[str, int | None] = {}
        if self.worker is not None:
            await self.worker.stop()
            codes["worker"] = self.worker.exit_code if not self.worker.killed else -9
        if self.up is not None:
            await self.up.stop()
            codes["quadra up"] = self.up.exit_code if not self.up.killed else -9
        return codes

    async def stop_all(self) -> None:
        """Everything this soak started, whatever state it is in (also after a failure)."""
        with contextlib.suppress(Exception):
            await self.stop_quadra()
        if self.sandbox is not None and self.sandbox.poll() is None:
            self.sandbox.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.sandbox.wait, 10)
            if self.sandbox.poll() is None:
                self.sandbox.kill()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.broker.stop)

    # --- faults -----------------------------------------------------------------------------
    def kill_worker(self) -> None:
        assert self.worker is not None and self.worker.proc is not None
        self.worker.proc.kill()
        self.worker.proc.wait(10)

    async def restart_worker(self) -> None:
        await self._start_worker()

    async def _start_worker(self) -> None:
        assert self.worker is not None
        await self._start_with_retries("the extra worker", self.worker, self.wait_worker_banner)

    async def _start_up(self) -> str:
        up = self.up
        assert up is not None
        return await self._start_with_retries("quadra up", up, lambda: up.wait_ready(self.startup_timeout_s))

    async def _start_with_retries(
        self, name: str, process: QuadraProcess | Subprocess, ready: Callable[[], Awaitable[T]]
    ) -> T:
        """Starts `process` (its log kept) until `ready` says it is up, START_TRIES at most."""
        for attempt in range(1, START_TRIES + 1):
            _keep_log(process.log_path)
            process.start()
            try:
                return await ready()
            except BenchError as exc:
                self._failed_start(name, attempt, exc, process.proc)
        raise BenchError(f"{name} did not start in {START_TRIES} tries")

    def _failed_start(self, name: str, attempt: int, exc: BenchError, proc: subprocess.Popen[bytes] | None) -> None:
        """Noted (a finding: see the summary) and killed, so the next try starts clean."""
        first = str(exc).splitlines()[0] if str(exc) else repr(exc)
        self.start_failures.append(f"{name} start {attempt} failed: {first}")
        print(f"  {self.start_failures[-1]}", flush=True)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def kill_up(self) -> None:
        assert self.up is not None and self.up.proc is not None
        self.up.proc.kill()
        self.up.proc.wait(10)

    async def restart_up(self) -> None:
        await self._start_up()

    async def stop_broker(self) -> None:
        await asyncio.to_thread(self.broker.stop)

    async def start_broker(self) -> None:
        await asyncio.to_thread(self.broker.start, 180)

    async def provider_fault(self, providers: tuple[str, ...], mode: str) -> None:
        async with httpx.AsyncClient(base_url=self.sandbox_url, timeout=10, trust_env=False) as client:
            for provider in providers:
                r = await client.post("/_control/faults", json={"provider": provider, "mode": mode, "times": None})
                if r.status_code >= 300:
                    raise BenchError(f"sandbox refused the fault {provider} {mode}: {r.status_code} {r.text[:200]}")

    async def clear_provider_faults(self) -> None:
        async with httpx.AsyncClient(base_url=self.sandbox_url, timeout=10, trust_env=False) as client:
            r = await client.delete("/_control/faults")
            if r.status_code >= 300:
                raise BenchError(f"sandbox did not clear its faults: {r.status_code} {r.text[:200]}")

    async def sandbox_executions(self) -> dict[str, int]:
        """Order id → how many times any provider executed its payout."""
        async with httpx.AsyncClient(base_url=self.sandbox_url, timeout=30, trust_env=False) as client:
            executions = (await client.get("/_control/stats")).json()["executions"]
        counts: dict[str, int] = {}
        for per_order in executions.values():
            for order_id, count in per_order.items():
                counts[order_id] = counts.get(order_id, 0) + int(count)
        return counts

    # --- health -----------------------------------------------------------------------------
    async def wait_worker_banner(self) -> None:
        """Until the worker logs that it runs (its partitions may still be moving)."""
        assert self.worker is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while "Quadra is running" not in self.worker.log_tail(400):
            if not self.worker.running():
                raise BenchError(f"the extra worker exited at start:\n{self.worker.log_tail()}")
            if time.monotonic() > deadline:
                raise BenchError(f"the extra worker not running after {self.startup_timeout_s:.0f} s")
            await asyncio.sleep(0.5)

    async def heal_crashes(self) -> None:
        """A Quadra process that died on its own is a finding: noted, and restarted so the soak
        can go on gathering evidence."""
        if self.up is not None and not self.up.running():
            code = self.up.proc.returncode if self.up.proc is not None else None
            self.unexpected_exits.append(f"quadra up exited on its own (code {code}):\n{self.up.log_tail(15)}")
            await self.restart_up()
        if self.worker is not None and not self.worker.running():
            code = self.worker.proc.returncode if self.worker.proc is not None else None
            self.unexpected_exits.append(f"the extra worker exited on its own (code {code}):\n{self.worker.log_tail(15)}")
            await self.restart_worker()

    def quadra_env(self) -> dict[str, str]:
        """What `quadra ledger verify` / `quadra audit verify` need to read this soak's data:
        its broker and topic prefix, and `quadra up`'s data dir (its embedded ClickHouse)."""
        assert self.up is not None
        env = {k: v for k, v in os.environ.items() if k != "QUADRA_CLICKHOUSE_DSN"}
        env.update(QUADRA_KAFKA_BOOTSTRAP=self.broker.bootstrap, QUADRA_TOPIC_PREFIX=self.prefix,
                   QUADRA_DATA_DIR=str(self.up.data_dir))  # fmt: skip
        return env
