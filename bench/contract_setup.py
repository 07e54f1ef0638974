"""What the schemathesis contract runs need from a running `quadra up`: a staff session and a
partner company of their own, and the schemathesis configuration that uses both.

Shared by `bench/api_contract.py` (its own `quadra up`, long run) and
`tests/e2e/test_openapi_contract.py` (the shared test stack, bounded run). A company of its own
keeps generated requests off the demo company other tests use: its webhook endpoint, its key's
rate limit and its balance stay theirs.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_COMPANY = "cmp_demo"
CARD_PRODUCT = "card-transfer-eur"  # in the demo catalog
TOP_UP_MINOR = 100_000_000  # 1,000,000.00: generated orders never run the company dry
# Operation ids are FastAPI's: <function>_<path>_<method>.
STAFF_CHANGES = r"_staff_v1_.*_(post|put|patch|delete)$"
STAFF_CHANGES_BUT_SIGN_IN = r"^(?!login_staff_v1_)\w*_staff_v1_.*_(post|put|patch|delete)$"
SESSION_ENDERS = r"^(login|logout|change_password)_staff_v1_"  # and sign-in, to sign in anew
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)


@dataclass(frozen=True)
class ContractCaller:
    staff_token: str  # Bearer qs_… of an admin
    company_id: str
    api_key: str  # Bearer qk_test_… of `company_id`
    order_id: str  # an order of `company_id`, for GET /v1/orders/{order_id}


def create_staff_admin(env: Mapping[str, str], email: str, password: str) -> None:
    """`quadra admin create-user`, as an operator would, against the stack's Kafka."""
    done = subprocess.run(
        [sys.executable, "-m", "quadra.cli", "admin", "create-user", "--email", email,
         "--name", "Contract Tester", "--role", "admin", "--password-stdin"],
        cwd=REPO_ROOT, env=dict(env), input=password + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"quadra admin create-user failed: {done.stderr.strip()}")


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:300]}")
    return response.json()  # type: ignore[no-any-return]


def staff_login(url: str, email: str, password: str) -> str:
    return str(_ok(httpx.post(f"{url}/staff/v1/login", json={"email": email, "password": password}))["token"])


def prepare_contract_caller(url: str, env: Mapping[str, str]) -> ContractCaller:
    """A staff admin, and a fresh company with the demo company's catalog, a test key, a
    funded EUR balance and one order."""
    email, password = f"contract-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(18)
    create_staff_admin(env, email, password)
    token = staff_login(url, email, password)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as staff:
        company = _ok(staff.post("/staff/v1/companies", json={
            "name": "Contract Test", "legal_name": "Contract Test GmbH", "country": "DE",
            "contact_email": "contract@example.com",
        }))  # fmt: skip
        company_id = str(company["id"])
        key = str(_ok(staff.post(f"/staff/v1/companies/{company_id}/api-keys", json={"mode": "test"}))["key"])
        catalog = _ok(staff.get(f"/staff/v1/companies/{DEMO_COMPANY}/catalog"))
        _ok(staff.put(f"/staff/v1/companies/{company_id}/catalog", json={"products": catalog["products"]}))
        _ok(staff.post(
            f"/staff/v1/companies/{company_id}/balances/EUR/top-ups",
            json={"amount": TOP_UP_MINOR, "reference": "schemathesis"},
            headers={"Idempotency-Key": f"contract-top-up-{company_id}"},
        ))  # fmt: skip
    order = {
        "product_id": CARD_PRODUCT, "amount": {"value": 1500, "currency": "EUR"},
        "recipient": {"card_number": "4111111111111111"}, "end_user": {"id": f"contract-{company_id}"},
    }  # fmt: skip
    created = _ok(httpx.post(f"{url}/v1/orders", json=order, timeout=30, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": f"contract-{company_id}",
    }))  # fmt: skip
    return ContractCaller(token, company_id, key, str(created["id"]))


def schemathesis_config(
    caller: ContractCaller, *, max_examples: int, staff_max_examples: int, seed: int | None = None,
    staff_coverage: bool = True,
) -> dict[str, Any]:
    """The configuration (schemathesis.toml's shape): our two bearer schemes, the checks, and a
    real order id for the order lookup so its success answer is checked too. Without
    `staff_coverage` staff operations skip the coverage phase (its boundary cases of every
    parameter are most of the requests): the bounded run's budget."""
    staff: dict[str, Any] = {"include-path-regex": "^/staff/", "generation": {"max-examples": staff_max_examples}}
    if not staff_coverage:
        staff["phases"] = {"coverage": {"enabled": False}}
    config: dict[str, Any] = {
        "generation": {"max-examples": max_examples},
        "phases": {
            "examples": {"enabled": True}, "coverage": {"enabled": True},
            "fuzzing": {"enabled": True}, "stateful": {"enabled": False},
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "auth": {"openapi": {
            "partnerKey": {"bearer": caller.api_key}, "staffSession": {"bearer": caller.staff_token},
        }},
        "operations": [
            {"include-path": "/v1/orders/{order_id}", "parameters": {"order_id": caller.order_id}},
            staff,
        ],
        "suppress-health-check": ["all"],
    }  # fmt: skip
    if seed is not None:
        config["seed"] = seed
    return config


def toml_of(config: dict[str, Any]) -> str:
    """The few TOML shapes schemathesis.toml needs: scalars, string lists, tables, arrays of
    tables (whose nested tables are written inline)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)  # a TOML basic string takes JSON's escapes
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(f"no TOML for {v!r}")

    def tables(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)

    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not tables(v)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in scalars.items())
        for k, v in d.items():
            name = f"{prefix}.{json.dumps(k)}" if prefix else json.dumps(k)
            if isinstance(v, dict):
                table(name, v)
            elif tables(v):
                for item in v:
                    lines.append(f"[[{name}]]")
                    lines.extend(f"{json.dumps(ik)} = {value(iv)}" for ik, iv in item.items())

    table("", config)
    return "\n".join(lines) + "\n"


def schemathesis_command(url: str, config: dict[str, Any], filters: Sequence[str], workdir: Path) -> list[str]:
    """`schemathesis run` against the stack's /openapi.json with `config` (written to
    `workdir`, where its reports go too) and operation filters (CLI options).

    The command line rather than schemathesis's pytest integration: with pytest 9.2 its
    fixture-based schemas (`schemathesis.pytest.from_fixture`) fail (`Function._nodeid`), and the
    command line runs the same phases and checks and prints a summary a person can read."""
    path = workdir / f"schemathesis-{secrets.token_hex(3)}.toml"
    path.write_text(toml_of(config))
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(path), "--no-color",
        "run", f"{url}/openapi.json", "--workers", "1", *filters,
    ]  # fmt: skip
