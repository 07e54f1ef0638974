"""The end of the soak: every accepted order settled, then the checks.

- settle (bench/soak/settle.py): every accepted order terminal, in the order list and by GET;
- one order per key: distinct keys have distinct orders, and the same key with the same body
  sent again now (every retried key, and a sample of the others) answers 200 and the same order;
- the magic values ended as docs/sandbox.md says;
- the provider sandbox executed every completed order exactly once and nothing else;
- after `quadra up` stopped: `quadra ledger verify --clickhouse` and `quadra audit verify`
  (the CLIs, on the soak's broker and `quadra up`'s embedded ClickHouse), and the API's local
  spool (`<data_dir>/outbox`, streams/outbox.py) left empty.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.soak.load import EXPECTED, Accepted
from bench.soak.settle import Settled

REPO = Path(__file__).resolve().parents[2]


async def replay_keys(url: str, accepted: dict[str, Accepted], seed: int, sample: int = 300) -> list[str]:
    """The same key and body again: 200 and the same order, for every retried key and a sample."""
    retried = [k for k, a in accepted.items() if a.attempts > 1]
    others = sorted(set(accepted) - set(retried))
    random.Random(seed).shuffle(others)
    keys = retried + others[: max(0, sample - len(retried))]
    problems: list[str] = []
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as client:

        async def again(key: str) -> None:
            a = accepted[key]
            async with gate:
                r = await client.post("/v1/orders", json=a.body,
                                      headers={"Authorization": f"Bearer {a.api_key}", "Idempotency-Key": key})  # fmt: skip
            if r.status_code != 200 or r.json().get("id") != a.order_id:
                problems.append(f"{key} sent again: {r.status_code} {r.text[:200]} (its order: {a.order_id})")

        await asyncio.gather(*(again(k) for k in keys))
    return problems


def order_problems(accepted: dict[str, Accepted], settled: Settled, executions: dict[str, int]) -> list[str]:
    problems: list[str] = []
    ids = [a.order_id for a in accepted.values()]
    if len(set(ids)) != len(ids):
        dupes = [i for i, n in Counter(ids).items() if n > 1]
        problems.append(f"{len(dupes)} orders answer more than one key, e.g. {dupes[:3]}")
    for key, a in accepted.items():
        status = settled.status.get(a.order_id)
        expected = EXPECTED.get(a.kind)
        if status == "declined" and a.order_id in settled.declined_in_review:
            continue
        if status is not None and expected is not None and status not in expected:
            problems.append(f"{key} ({a.kind}) ended {status}, expected {sorted(expected)}")
    for order_id, count in executions.items():
        if count > 1:
            problems.append(f"order {order_id} paid {count} times by the sandbox")
    completed = {i for i, s in settled.status.items() if s == "completed"}
    paid = set(executions)
    if completed - paid:
        problems.append(f"{len(completed - paid)} completed orders the sandbox never paid, e.g. {sorted(completed - paid)[:3]}")
    if paid - completed:
        extra = sorted(paid - completed)
        problems.append(f"{len(extra)} orders paid but not completed, e.g. "
                        f"{[(i, settled.status.get(i, settled.unsettled.get(i, 'unknown'))) for i in extra[:3]]}")  # fmt: skip
    return problems


@dataclass
class CliResult:
    code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def cell(self) -> str:
        last = self.output.strip().splitlines()[:1]
        return ("ok" if self.ok else f"FAILED ({self.code})") + (f": {last[0][:90]}" if last else "")


def quadra_cli(env: dict[str, str], *args: str, timeout_s: float = 900) -> CliResult:
    """`quadra …` as an operator runs it, with the soak's settings."""
    try:
        done = subprocess.run([sys.executable, "-m", "quadra.cli", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=timeout_s)  # fmt: skip
    except subprocess.TimeoutExpired:
        return CliResult(-1, f"`quadra {' '.join(args)}` still running after {timeout_s:.0f} s")
    return CliResult(done.returncode, done.stdout + done.stderr)


def spool_leftovers(data_dir: Path) -> list[Path]:
    """Request-log and key-use records still waiting in the API's local spool."""
    return sorted((data_dir / "outbox").rglob("*.jsonl"))
