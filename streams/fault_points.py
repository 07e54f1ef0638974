"""Test-only crash points: a process dies (as under SIGKILL) at a named point of a stage, once.

The fault-injection matrix (docs/reliability.md) kills a worker at a precise moment of each
stage — after the stage did its work (outputs produced, provider paid, webhook sent, rows
inserted) and before it committed — which random SIGKILLs hit only by luck.

Inert unless QUADRA_FAULT_CRASH_DIR is set, which only tests do. A test arms a point by
creating `<dir>/<point>.armed`; the process that reaches the point renames it to
`<point>.fired` and exits at once, so the restarted process runs on. Points: intake, ledger,
audit (each before its Kafka transaction commits), dispatch (providers answered, nothing
produced), notify (a webhook attempted, its outcome not committed), sink (rows inserted,
offsets not committed).

`os._exit` skips every cleanup (no producer flush, no transaction abort, no offset commit), as
a kill -9 would. The names are fixed strings at the call sites; nothing else reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

CRASH_DIR = "QUADRA_FAULT_CRASH_DIR"
CRASH_EXIT_CODE = 137  # what a shell reports for SIGKILL


def crash_point(name: str) -> None:
    """Die here if a test armed this point."""
    directory = os.environ.get(CRASH_DIR)
    if not (name and directory):
        return
    armed = Path(directory) / f"{name}.armed"
    try:
        armed.rename(armed.with_suffix(".fired"))  # atomic: one process fires it, once
    except OSError:
        return  # not armed (or another process took it)
    os._exit(CRASH_EXIT_CODE)


def arm(directory: Path, name: str) -> Path:
    """Arm a point for processes started with QUADRA_FAULT_CRASH_DIR=directory; returns the
    file that appears once it has fired."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.armed").touch()
    return directory / f"{name}.fired"
