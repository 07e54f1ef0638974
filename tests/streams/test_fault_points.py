"""The test-only crash points are inert unless armed, and fire once per arming."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from streams.fault_points import CRASH_DIR, CRASH_EXIT_CODE, arm, crash_point
from tests.conftest import REPO

SCRIPT = "from streams.fault_points import crash_point; crash_point('ledger'); print('alive')"


def _run(directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), CRASH_DIR: str(directory)}
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_points_are_inert_without_the_variable_or_the_arming(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    arm(tmp_path, "ledger")
    monkeypatch.delenv(CRASH_DIR, raising=False)
    crash_point("ledger")  # still here: the variable is not set
    monkeypatch.setenv(CRASH_DIR, str(tmp_path))
    crash_point("intake")  # not armed
    crash_point("")
    monkeypatch.setenv(CRASH_DIR, str(tmp_path / "missing"))
    crash_point("ledger")  # a directory that does not exist arms nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.armed"]


def test_an_armed_point_kills_the_process_once(tmp_path: Path) -> None:
    assert _run(tmp_path).stdout.strip() == "alive"  # not armed yet
    fired = arm(tmp_path, "ledger")
    first = _run(tmp_path)
    assert first.returncode == CRASH_EXIT_CODE and "alive" not in first.stdout
    assert fired.exists() and not (tmp_path / "ledger.armed").exists()
    second = _run(tmp_path)  # the restarted process runs on
    assert second.returncode == 0 and second.stdout.strip() == "alive"
