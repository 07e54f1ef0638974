"""The long schemathesis run against `/openapi.json` of a `quadra up` of its own (issue 8,
acceptance 1; the bounded run is tests/e2e/test_openapi_contract.py).

    uv run python -m bench.api_contract [--examples 100] [--staff-examples 25] [--seed N] [--no-coverage] [--keep]

Three passes of the `schemathesis run` command line, each printing its own summary:
1. every partner operation (a company and test key of its own) and every staff read;
2. every staff operation that changes something (companies, users, the global catalog, fraud
   rules and lists, balances, exports, replays): after pass 1, because generated changes to
   the catalog or the demo company would skew it;
3. sign-out and password change, with a fresh session: they end the session the others use.
Checks: no 5xx, and every answer documented (status code, content type, body schema, headers).
Exit status 0 only if all three pass. Uses QUADRA_KAFKA_BOOTSTRAP when set, else the local
broker (`quadra kafka start`'s); the stack's data dir and topics are fresh and removed after
(`--keep` keeps the dir: quadra's log, the schemathesis configs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.broker import delete_topics_with_prefix, open_broker
from bench.contract_setup import (
    SESSION_ENDERS, STAFF_CHANGES, ContractCaller, create_staff_admin, prepare_contract_caller,
    schemathesis_command, schemathesis_config, staff_login,
)  # fmt: skip
from bench.errors import BenchError
from bench.quadra_process import QuadraProcess, free_port


def run_pass(title: str, url: str, config: dict[str, Any], filters: list[str], workdir: Path) -> int:
    print(f"\n=== {title}", flush=True)
    return subprocess.run(schemathesis_command(url, config, filters, workdir), cwd=workdir, timeout=3 * 3600).returncode


def passes(url: str, env: dict[str, str], caller: ContractCaller, args: argparse.Namespace, workdir: Path) -> dict[str, int]:
    base = schemathesis_config(
        caller, max_examples=args.examples, staff_max_examples=args.staff_examples, seed=args.seed
    )
    if args.no_coverage:
        base["phases"]["coverage"]["enabled"] = False
        base["operations"][-1].setdefault("phases", {})["coverage"] = {"enabled": False}
    results = {
        "partner and staff reads": run_pass(
            "reads: partner and staff reads", url, base, ["--exclude-operation-id-regex", STAFF_CHANGES], workdir
        ),
        "staff changes": run_pass(
            "changes: staff changes", url, base,
            ["--include-operation-id-regex", STAFF_CHANGES, "--exclude-operation-id-regex", SESSION_ENDERS], workdir,
        ),
    }  # fmt: skip
    # A fresh admin: pass 2 may have deactivated or demoted the first one.
    email, password = f"contract-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(18)
    create_staff_admin(env, email, password)
    fresh = ContractCaller(staff_login(url, email, password), caller.company_id, caller.api_key, caller.order_id)
    results["sign-out and password"] = run_pass(
        "session: sign-in, sign-out and password", url,
        {**base, "auth": schemathesis_config(fresh, max_examples=1, staff_max_examples=1)["auth"]},
        ["--include-operation-id-regex", SESSION_ENDERS], workdir,
    )  # fmt: skip
    return results


async def main_async(args: argparse.Namespace) -> int:
    broker = await open_broker(allow_remote=False)
    prefix = f"contract{secrets.token_hex(3)}."
    workdir = Path(tempfile.mkdtemp(prefix="quadra-contract-"))
    quadra = QuadraProcess(broker.bootstrap, prefix, workdir / "var", free_port())
    started = time.monotonic()
    try:
        quadra.start()
        await quadra.wait_ready(180)
        env = {**os.environ, "QUADRA_KAFKA_BOOTSTRAP": broker.bootstrap, "QUADRA_TOPIC_PREFIX": prefix,
               "QUADRA_DATA_DIR": str(quadra.data_dir)}  # fmt: skip
        caller = await asyncio.to_thread(prepare_contract_caller, quadra.url, env)
        results = await asyncio.to_thread(passes, quadra.url, env, caller, args, workdir)
    finally:
        await quadra.stop()
        await delete_topics_with_prefix(broker.bootstrap, prefix)
        await broker.stop_if_ours()
    print(f"\n=== summary ({time.monotonic() - started:.0f} s, {args.examples} examples per partner "
          f"operation, {args.staff_examples} per staff operation, seed {args.seed})")  # fmt: skip
    for name, code in results.items():
        print(f"  {name:<24} {'passed' if code == 0 else f'FAILED (exit {code})'}")
    for line in quadra.problems():
        print("  " + line)
    if args.keep:
        print(f"  data dir, quadra log and schemathesis configs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(code == 0 for code in results.values()) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="per partner operation (fuzzing phase)")
    parser.add_argument("--staff-examples", type=int, default=25, help="per staff operation")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run")
    parser.add_argument("--no-coverage", action="store_true", help="skip the coverage phase (a quick smoke run)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and quadra's log")
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(main_async(args)))
    except BenchError as error:
        sys.exit(f"bench.api_contract: {error}")


if __name__ == "__main__":
    main()
