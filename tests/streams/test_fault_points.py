"""The test-only crash points are inert unless armed, and fire once per point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streams.fault_points import CRASH_AT, CRASH_DIR, CRASH_EXIT_CODE, crash_point
from tests.conftest import REPO

SCRIPT = "from streams.fault_points import crash_point; crash_point('ledger'); print('alive')"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_unarmed_points_do_nothing(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(CRASH_AT, raising=False)
    monkeypatch.setenv(CRASH_DIR, str(tmp_path))
    crash_point("ledger")  # still here
    monkeypatch.setenv(CRASH_AT, "intake,dispatch")
    crash_point("ledger")
    crash_point("")
    monkeypatch.delenv(CRASH_DIR)
    monkeypatch.setenv(CRASH_AT, "ledger")
    crash_point("ledger")  # armed without a directory: inert
    assert list(tmp_path.iterdir()) == []


def test_an_armed_point_kills_the_process_once(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "PYTHONPATH": str(REPO), CRASH_AT: "intake,ledger", CRASH_DIR: str(tmp_path)}
    first = _run(env)
    assert first.returncode == CRASH_EXIT_CODE and "alive" not in first.stdout
    assert (tmp_path / "ledger.fired").exists()
    second = _run(env)  # the restarted process runs on
    assert second.returncode == 0 and second.stdout.strip() == "alive"
