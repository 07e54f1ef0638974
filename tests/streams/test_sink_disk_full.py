"""Fault matrix, disk full under the sink's ClickHouse (docs/reliability.md): the embedded
ClickHouse's data directory sits on a small tmpfs that the test fills to the last byte. Inserts
fail with a clear "no space" error in the sink's log, nothing is committed (the events wait in
Kafka), the process stays up; once space is freed the sink catches up and every order is there
once — nothing lost, nothing corrupted.

Needs to mount a tmpfs (root with CAP_SYS_ADMIN, as in CI's container); skipped otherwise."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.admin import ensure_topics
from streams.topics import TopicNames
from tests.conftest import REPO
from tests.streams.test_sink_outage import _publish_orders

pytestmark = pytest.mark.kafka
SIZE = "192m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(disk: Path) -> Path:
    """Write a file until the filesystem has no byte left."""
    filler = disk / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def _status(workdir: Path) -> dict:  # type: ignore[type-arg]
    try:
        return json.loads((workdir / "status.json").read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


async def _until(check, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


@pytest.mark.timeout(900)
async def test_a_full_disk_stops_the_sink_cleanly_and_it_catches_up_once_space_is_back(
    kafka_bootstrap: str, topic_prefix: str, small_disk: Path, tmp_path: Path
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    workdir = tmp_path / "sink"
    workdir.mkdir()
    log = (tmp_path / "sink.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.streams.sink_process", kafka_bootstrap, topic_prefix,
         str(small_disk / "clickhouse"), str(workdir)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        first = await _publish_orders(kafka_bootstrap, names, 0, 20)
        await _until(lambda: _status(workdir).get("written", 0) >= first, "the sink did not start writing", 400)

        filler = _fill(small_disk)
        later = await _publish_orders(kafka_bootstrap, names, 20, 30)
        errors_seen = lambda: "space" in (tmp_path / "sink.log").read_text(errors="replace").lower()  # noqa: E731
        await _until(errors_seen, "no clear 'no space' error in the sink's log")
        assert proc.poll() is None, "the sink died of a full disk"
        assert _status(workdir)["written"] == first  # nothing more written or committed

        filler.unlink()  # space is back
        await _until(lambda: _status(workdir).get("written", 0) >= first + later, "the sink did not catch up", 300)
        (workdir / "stop").touch()
        assert await asyncio.to_thread(proc.wait, 60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    final = _status(workdir)
    assert final.get("done") and final["orders"] == [[50, 50]], final
