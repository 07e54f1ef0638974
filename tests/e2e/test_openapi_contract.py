"""Issue 8, acceptance 1 (bounded): schemathesis against `/openapi.json` of the running
`quadra up` finds no server error and no answer the document does not describe (status code,
content type, body schema, headers).

Every partner operation runs, with a company and test key of its own (bench/contract_setup.py).
Staff operations that only read run too, signed in as an admin made with `quadra admin
create-user`; staff operations that change something (companies, users, the global catalog,
fraud rules and lists, balances) are left to `bench/api_contract.py`, which runs on a stack of
its own: on this shared stack they could change what other tests rely on.
The longer run: `uv run python -m bench.api_contract`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from schemathesis import Case

from bench.contract_setup import ContractCaller, prepare_contract_caller, schemathesis_config
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

# Examples per operation in the fuzzing phase, on top of the schema's examples and (partner
# operations only) the coverage phase's boundary cases; together about a minute on one core.
PARTNER_EXAMPLES = int(os.environ.get("QUADRA_CONTRACT_EXAMPLES", "15"))
STAFF_EXAMPLES = int(os.environ.get("QUADRA_CONTRACT_STAFF_EXAMPLES", "3"))
STAFF_SIGN_IN = "/staff/v1/login"


def _safe_on_a_shared_stack(ctx: Any) -> bool:
    operation = ctx.operation
    if operation.path.startswith("/v1/"):
        return True
    return operation.method.upper() == "GET" or operation.path == STAFF_SIGN_IN


@pytest.fixture(scope="module")
def contract_caller(partner_stack: QuadraProcess) -> ContractCaller:
    return prepare_contract_caller(partner_stack.url, partner_stack.env)


@pytest.fixture(scope="module")
def api_schema(partner_stack: QuadraProcess, contract_caller: ContractCaller) -> Any:
    config = schemathesis.Config.from_dict(
        schemathesis_config(
            contract_caller, max_examples=PARTNER_EXAMPLES, staff_max_examples=STAFF_EXAMPLES, seed=8,
            staff_coverage=False,
        )
    )
    loaded = schemathesis.openapi.from_url(partner_stack.url + "/openapi.json", config=config)
    return loaded.include(_safe_on_a_shared_stack)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_answer_is_documented(case: Case) -> None:
    case.call_and_validate(timeout=30)
