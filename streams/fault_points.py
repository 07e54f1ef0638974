"""Test-only crash points: a process dies (as under SIGKILL) at a named point of a stage, once.

The fault-injection matrix (docs/reliability.md) kills a worker at a precise moment of each
stage — after the stage did its work (outputs produced, provider paid, webhook sent, rows
inserted) and before it committed — which random SIGKILLs hit only by luck.

Inert unless BOTH variables are set, which only tests do:

    QUADRA_FAULT_CRASH_AT    comma-separated point names: intake, ledger, audit, dispatch,
                             notify, sink
    QUADRA_FAULT_CRASH_DIR   a directory: `<point>.fired` is written there just before the
                             crash; while it exists that point is inert, so the restarted
                             process runs on (and dies at the next armed point, if any)

`os._exit` skips every cleanup (no producer flush, no transaction abort, no offset commit), as
a kill -9 would. The names are fixed strings at the call sites; nothing else reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

CRASH_AT = "QUADRA_FAULT_CRASH_AT"
CRASH_DIR = "QUADRA_FAULT_CRASH_DIR"
CRASH_EXIT_CODE = 137  # what a shell reports for SIGKILL


def crash_point(name: str) -> None:
    """Die here if the environment arms this point and it has not fired yet."""
    armed = os.environ.get(CRASH_AT)
    directory = os.environ.get(CRASH_DIR)
    if not (name and armed and directory) or name not in armed.split(","):
        return
    fired = Path(directory) / f"{name}.fired"
    if fired.exists():
        return
    fired.write_text(f"{os.getpid()}\n")
    os._exit(CRASH_EXIT_CODE)
