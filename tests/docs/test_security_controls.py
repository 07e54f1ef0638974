"""docs/security.md's control table names only tests and code that exist.

Each row names code (`path` or `path::name`) and tests (`tests/…py::test_name`, optionally
`[params]`); a renamed or deleted test or function fails here, so the table cannot rot. The
tests are looked up in the source (AST), not collected: collecting every named file would import
most of the suite.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
CATEGORIES = {"DP": "data protection", "AC": "access control", "LA": "logging and audit trails",
              "KM": "key management", "SD": "secure development"}  # fmt: skip
_TICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    id: str
    control: str
    code: tuple[str, ...]
    tests: tuple[str, ...]
    removal: str


def control_rows() -> list[Row]:
    section = DOC.read_text(encoding="utf-8").split("\n## Controls\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 5 or cells[0] in ("id", "---"):
            continue
        code = tuple(t for t in _TICKED.findall(cells[2]) if "/" in t or t.endswith((".py", ".md")) or t == "Makefile")
        tests = tuple(t for t in _TICKED.findall(cells[3]) if t.startswith("tests/"))
        rows.append(Row(cells[0], cells[1], code, tests, cells[4]))
    return rows


ROWS = control_rows()
TEST_NODES = sorted({t for row in ROWS for t in row.tests})
CODE_PATHS = sorted({c for row in ROWS for c in row.code})


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _defined(tree: ast.Module, dotted: str) -> bool:
    """`name` at module level (def, class, assignment) or `Class.name` / `Class::name` inside."""
    scope: list[ast.stmt] = tree.body
    *outer, last = re.split(r"\.|::", dotted)
    for name in outer:
        found = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == name]
        if not found:
            return False
        scope = found[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == last:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == last for t in targets):
            return True
    return False


def test_the_table_covers_every_category() -> None:
    assert ROWS, "no control rows found under '## Controls' in docs/security.md"
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), f"duplicate control ids: {ids}"
    for prefix, name in CATEGORIES.items():
        assert any(i.startswith(prefix + "-") for i in ids), f"no {name} control ({prefix}-…)"
    assert all(i.split("-")[0] in CATEGORIES for i in ids), ids


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_every_row_names_code_tests_and_a_removal_check(row: Row) -> None:
    assert row.control, row.id
    assert row.code, f"{row.id} names no code path"
    assert row.tests, f"{row.id} names no test"
    assert row.removal.startswith(("removed → failed", "not re-verified")), f"{row.id}: {row.removal!r}"
    if row.removal.startswith("removed"):  # then the removal-checks table says what was removed
        removals = DOC.read_text(encoding="utf-8").split("\n### Removal checks\n", 1)[1].split("\n## ", 1)[0]
        assert f"\n| {row.id} |" in removals, f"{row.id} says removed → failed but the removal table has no row"


@pytest.mark.parametrize("node", TEST_NODES)
def test_every_named_test_exists(node: str) -> None:
    file, _, name = node.partition("::")
    path = ROOT / file
    assert path.is_file(), f"{file} does not exist"
    if name:
        name = name.split("[", 1)[0]
        assert name.split("::")[-1].startswith("test"), f"{node} does not name a test"
        assert _defined(_tree(path), name), f"{node}: no such test in {file}"


@pytest.mark.parametrize("code", CODE_PATHS)
def test_every_named_code_path_exists(code: str) -> None:
    file, _, name = code.partition("::")
    path = ROOT / file
    assert path.exists(), f"{file} does not exist"
    if name:
        assert path.suffix == ".py", code
        assert _defined(_tree(path), name), f"{code}: nothing called {name} in {file}"


def test_a_missing_test_or_code_path_would_be_caught() -> None:
    """The lookups themselves: a name that is not there is reported missing."""
    tree = _tree(Path(__file__))
    assert _defined(tree, "test_every_named_test_exists") and _defined(tree, "Row.id")
    assert not _defined(tree, "test_that_does_not_exist") and not _defined(tree, "Row.nope")
