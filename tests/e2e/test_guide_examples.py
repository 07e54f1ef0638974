"""Issue 8, acceptance 2: every example of the integration guide runs against a live
`quadra up` and passes. The blocks and their markers: tests/docs/guide_blocks.py (the static
checks, both languages, are in tests/docs/test_guide_examples.py).

Each block runs on its own (sh blocks in bash with `-eo pipefail`, python blocks in this
interpreter) with QUADRA_API_URL and QUADRA_API_KEY of the shared stack's demo company, in a
scratch directory; it must exit 0 and print every `expect` text of its marker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.guide_blocks import Block, runnable_blocks
from tests.e2e.quadra_process import REPO, QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]
BLOCK_TIMEOUT_S = 120


def _program(block: Block) -> str:
    """A harnessed block runs between its harness's before() and after(globals())."""
    if not block.harness:
        return block.code
    module = "tests.e2e.guide_harness." + block.harness.replace("-", "_")
    return f"from {module} import Harness as _Harness\n_harness = _Harness.before()\n{block.code}\n_harness.after(globals())\n"


def _command(block: Block) -> list[str]:
    if block.language == "sh":
        return ["bash", "-eo", "pipefail", "-c", block.code]
    return [sys.executable, "-c", _program(block)]


@pytest.mark.parametrize("block", runnable_blocks(), ids=lambda b: f"{b.language}-line{b.line}")
def test_the_guide_example_runs(block: Block, partner_stack: QuadraProcess, tmp_path: Path) -> None:
    # The scratch directory looks like a checkout after `make run`: var/ holds the stack's data.
    (tmp_path / "var").symlink_to(partner_stack.data_dir)
    env = {**os.environ, "QUADRA_API_URL": partner_stack.url, "QUADRA_API_KEY": partner_stack.key,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    for name in block.unset:
        env.pop(name, None)
    done = subprocess.run(
        _command(block), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S
    )
    shown = f"{block.where} ({block.language}) exited {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, shown
    for text in block.expect:
        assert text in done.stdout, f"expected {text!r} in the output of {shown}"
