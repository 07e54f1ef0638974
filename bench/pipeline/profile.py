"""Where `quadra up`'s CPU goes: py-spy's raw (collapsed) stacks summed by stage and by frame.

    python -m bench.pipeline --rates 50 --profile 50 …   # records during the 50/s step
    python -m bench.pipeline.profile prof.txt           # the summary of a recording

py-spy samples threads that are not idle (on a busy machine a runnable thread waiting for a
core counts too), so the shares say where the process spends its active time, by stage.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# First match wins, from the most specific stage to the generic layers.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sink: ClickHouse inserts (chdb, worker threads)", ("insert_from_json_sync", "insert_json_sync", "insert_sync")),
    ("other ClickHouse statements (refresher, reads)", ("chdb", "clickhouse_connect")),
    ("dispatch: provider calls (httpx client)", ("streams/dispatch.py", "(providers/")),
    ("notify: webhook deliveries", ("streams/notify.py", "webhook_sender")),
    ("partner API request handling (api/)", ("(api/",)),
    ("FastAPI/uvicorn, app frames not sampled (API or sandbox)", ("fastapi/", "starlette/", "uvicorn/")),
    ("intake agent and fraud check", ("intake_agent", "(detectors/", "fraud")),
    ("ledger agent", ("ledger_agent",)),
    ("transactional processor", ("txn_processor",)),
    ("sink, Python side", ("streams/sink.py",)),
    ("logging", ("logging/",)),
    ("aiokafka (consumers, producers)", ("aiokafka",)),
    ("faust", ("faust/", "(mode/")),
    ("event loop select", ("EpollSelector.select",)),
)


def parse(lines: Iterable[str]) -> list[tuple[list[str], int]]:
    """(frames root first, samples) per line of py-spy's raw format: `f1;f2;…;fn COUNT`."""
    out = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            out.append((stack.split(";"), int(count)))
    return out


def by_stage(stacks: list[tuple[list[str], int]]) -> Counter[str]:
    shares: Counter[str] = Counter()
    for frames, n in stacks:
        joined = ";".join(frames)
        stage = next((name for name, marks in STAGES if any(m in joined for m in marks)), "other")
        shares[stage] += n
    return shares


def top_self(stacks: list[tuple[list[str], int]]) -> Counter[str]:
    """Samples per innermost frame (where the time is spent itself)."""
    leaves: Counter[str] = Counter()
    for frames, n in stacks:
        leaves[frames[-1]] += n
    return leaves


def summary(path: Path, top: int = 15) -> str:
    stacks = parse(path.read_text(errors="replace").splitlines())
    total = sum(n for _, n in stacks) or 1
    lines = [f"{total} samples in {path}", "", "by stage:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in by_stage(stacks).most_common()]
    lines += ["", "innermost frames:"]
    lines += [f"  {n / total:6.1%}  {frame[:140]}" for frame, n in top_self(stacks).most_common(top)]
    return "\n".join(lines)


async def record(pid: int, seconds: float, out: Path) -> asyncio.subprocess.Process | None:
    """Starts `py-spy record` on `pid` for `seconds` (raw format, 50 Hz, without pausing the
    process); None when py-spy is not installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    return await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "50",
        "--nonblocking", "--format", "raw", "-o", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
