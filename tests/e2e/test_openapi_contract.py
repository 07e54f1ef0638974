"""Issue 8, acceptance 1 (bounded): schemathesis against `/openapi.json` of the running
`quadra up` finds no server error and no answer the document does not describe (status code,
content type, body schema, headers).

Every partner operation runs, with a company and test key of its own (bench/contract_setup.py).
Staff operations that only read run too, and sign-in, as an admin made with `quadra admin
create-user`; staff operations that change something (companies, users, the global catalog,
fraud rules and lists, balances) are left to `bench/api_contract.py`, which runs them on a
stack of its own: on this shared stack they would change what other tests rely on (a generated
company catalog or product edit reaches the demo company's orders).
The longer run: `uv run python -m bench.api_contract`.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from bench.contract_setup import (
    STAFF_CHANGES_BUT_SIGN_IN, prepare_contract_caller, schemathesis_command, schemathesis_config,
)  # fmt: skip
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

# Examples per operation in the fuzzing phase, on top of the schema's examples and (partner
# operations only) the coverage phase's boundary cases: about a minute on a busy machine.
PARTNER_EXAMPLES = int(os.environ.get("QUADRA_CONTRACT_EXAMPLES", "10"))
STAFF_EXAMPLES = int(os.environ.get("QUADRA_CONTRACT_STAFF_EXAMPLES", "3"))


def test_every_answer_is_documented(partner_stack: QuadraProcess, tmp_path: Path) -> None:
    caller = prepare_contract_caller(partner_stack.url, partner_stack.env)
    config = schemathesis_config(
        caller, max_examples=PARTNER_EXAMPLES, staff_max_examples=STAFF_EXAMPLES, seed=8, staff_coverage=False
    )
    command = schemathesis_command(
        partner_stack.url, config, ["--exclude-operation-id-regex", STAFF_CHANGES_BUT_SIGN_IN], tmp_path
    )
    started = time.monotonic()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    assert done.returncode == 0, f"schemathesis found problems ({took:.0f} s):\n{done.stdout[-20000:]}\n{done.stderr[-3000:]}"
    summary = done.stdout[done.stdout.find("API Operations:"):]
    assert "Tested: " in summary and " generated, " in summary, done.stdout[-5000:]
    tested = int(summary.split("Tested: ")[1].split()[0])
    assert tested >= 40, f"only {tested} operations ran:\n{summary}"  # 10 partner, 30+ staff reads, sign-in
    print(f"schemathesis, {took:.0f} s:\n{summary}")  # shown with -rP
