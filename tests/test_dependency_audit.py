"""CI audits the locked dependencies for known vulnerabilities (`make audit`, pip-audit).

The audit itself needs network (PyPI's JSON API), so the suite does not run it; these checks
keep it wired: a dev dependency, a strict Makefile target over the exported lock, and CI calling
that target (where QUADRA_CI_AUDIT=1) before the tests.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target (continuations joined)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)*)", text, re.MULTILINE)
    assert match, f"the Makefile has no `{target}` target"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_pip_audit_is_a_dev_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [re.split(r"[<>=!~ ;\[]", spec, maxsplit=1)[0] for spec in project["dependency-groups"]["dev"]]
    assert "pip-audit" in names


def test_make_audit_runs_pip_audit_on_the_locked_requirements() -> None:
    recipe = _recipe("audit")
    export = next((shlex.split(line) for line in recipe if " export " in f" {line} "), None)
    assert export is not None and "--frozen" in export, recipe  # the lock as it is, never re-resolved
    output = export[export.index("-o") + 1]
    audit = next((shlex.split(line) for line in recipe if "pip-audit" in line), None)
    assert audit is not None, recipe
    assert audit[audit.index("-r") + 1] == output  # audits exactly what was exported
    assert "--disable-pip" in audit  # the hashed pins are audited as they are, nothing resolved
    assert "--strict" in audit  # a package it could not look up fails the audit, never "no vulnerabilities"
    assert not any(arg.startswith("--ignore-vuln") for arg in audit), "ignored advisories belong in review"


def test_ci_runs_the_dependency_audit() -> None:
    commands = _ci_commands()
    assert "make audit" in commands, commands
    assert commands.index("make audit") < commands.index("make test")
    guard = commands[commands.index("make audit") - 1]
    assert guard == 'if [ "${QUADRA_CI_AUDIT:-0}" = 1 ]; then', guard  # the one switch, documented
    assert any("dependency audit NOT run" in c for c in commands)  # a skipped audit is visible
