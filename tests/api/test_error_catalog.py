"""docs/errors.md lists every problem `type` the API can answer, and nothing else.

The slugs are collected from the code, not from a list kept by hand: every `Problem(status,
"slug", …)` built in `api/` (api/errors.py's constructors, api/problems.py's fallbacks, routes),
and every class that declares `slug = "…"` (DomainError and its subclasses anywhere: problems.py
renders a DomainError as its slug; agents' refusals travel as CommandError of the same slugs).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "docs" / "errors.md"
SOURCE_PACKAGES = ("api", "domain", "streams", "quadra", "analytics", "detectors", "providers", "sandbox", "dashboards")
_ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*([^|]+?)\s*\|")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROOT_ERROR = "DomainError"  # domain/errors.py: carries the status and slug it maps to

Emitted = dict[str, tuple[set[int], set[str]]]  # slug -> (statuses known statically, where)


def _python_files() -> list[Path]:
    return sorted(p for package in SOURCE_PACKAGES for p in (REPO / package).rglob("*.py"))


def _literal(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _problem_calls(tree: ast.AST) -> list[tuple[str, int | None]]:
    """`Problem(status, "slug", …)` / `errors.Problem(…)` with a literal slug."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        slug, status = _literal(node.args[1]), _literal(node.args[0])
        if name == "Problem" and isinstance(slug, str):
            found.append((slug, status if isinstance(status, int) else None))
    return found


@dataclass
class _ClassInfo:
    bases: list[str]
    slug: str | None
    status: int | None
    sets_slug_per_instance: bool  # e.g. CommandRefused: carries another error's slug
    where: str


def _classes(tree: ast.AST, where: str) -> dict[str, _ClassInfo]:
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        values: dict[str, object] = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                values[item.targets[0].id] = _literal(item.value)
        per_instance = any(
            isinstance(t, ast.Attribute) and t.attr == "slug" and getattr(t.value, "id", "") == "self"
            for item in ast.walk(node) if isinstance(item, ast.Assign) for t in item.targets
        )
        slug, status = values.get("slug"), values.get("status")
        found[node.name] = _ClassInfo(
            [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases],
            slug if isinstance(slug, str) else None,
            status if isinstance(status, int) else None,
            per_instance,
            where,
        )
    return found


def _raised_directly(tree: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") == name for n in ast.walk(tree)
    )


def _domain_error_slugs(classes: dict[str, _ClassInfo], raises_base: bool) -> list[tuple[str, int | None, str]]:
    """The slug and status each DomainError class answers with (inherited when not its own)."""

    def lineage(name: str) -> list[str]:
        chain, todo = [], [name]
        while todo:
            current = todo.pop(0)
            if current in classes and current not in chain:
                chain.append(current)
                todo.extend(classes[current].bases)
        return chain

    found = []
    for name, info in classes.items():
        chain = lineage(name)
        if ROOT_ERROR not in chain or info.sets_slug_per_instance:
            continue
        if name == ROOT_ERROR and not raises_base:
            continue  # only a base: never raised as itself
        slug = next(classes[c].slug for c in chain if classes[c].slug is not None)
        status = next((classes[c].status for c in chain if classes[c].status is not None), None)
        found.append((slug, status, info.where))
    return found


@functools.cache
def emitted_problems() -> Emitted:
    emitted: Emitted = {}
    classes: dict[str, _ClassInfo] = {}
    raises_base = False
    found: list[tuple[str, int | None, str]] = []
    for path in _python_files():
        source = path.read_text()
        if not any(word in source for word in ("slug", "status = ", "Problem(", ROOT_ERROR)):
            continue  # says nothing of problems: not worth parsing
        tree = ast.parse(source, str(path))
        where = str(path.relative_to(REPO))
        classes.update(_classes(tree, where))
        raises_base = raises_base or _raised_directly(tree, ROOT_ERROR)
        if path.parts[len(REPO.parts)] == "api":
            found += [(slug, status, where) for slug, status in _problem_calls(tree)]
    found += _domain_error_slugs(classes, raises_base)
    for slug, status, where in found:
        statuses, places = emitted.setdefault(slug, (set(), set()))
        places.add(where)
        if status is not None:
            statuses.add(status)
    return emitted


def documented_problems(text: str) -> dict[str, str]:
    """slug -> the status cell, from the catalog's table rows."""
    rows: dict[str, str] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice in docs/errors.md"
            rows[match.group(1)] = match.group(2)
    return rows


# Problems other issue-8 branches add (rate limits, mass payouts): documented ahead of their
# code. Remove a slug here once the code emitting it is merged.
PLANNED: set[str] = set()


def test_every_problem_the_code_can_answer_is_in_the_catalog() -> None:
    emitted, documented = emitted_problems(), documented_problems(CATALOG.read_text())
    missing = {slug: sorted(where) for slug, (_, where) in emitted.items() if slug not in documented}
    assert not missing, f"add these problem types to docs/errors.md: {missing}"


def test_the_catalog_lists_no_problem_the_code_cannot_answer() -> None:
    emitted, documented = emitted_problems(), documented_problems(CATALOG.read_text())
    stale = sorted(set(documented) - set(emitted) - PLANNED)
    assert not stale, f"docs/errors.md lists problem types no code emits any more: {stale}"


def test_the_catalog_gives_each_problem_its_http_status() -> None:
    emitted, documented = emitted_problems(), documented_problems(CATALOG.read_text())
    wrong = {
        slug: (documented[slug], sorted(statuses))
        for slug, (statuses, _) in emitted.items()
        if slug in documented and not all(str(s) in documented[slug] for s in statuses)
    }
    assert not wrong, f"status in docs/errors.md differs from the code (doc, code): {wrong}"


def test_every_catalog_row_says_what_it_means_and_what_to_do() -> None:
    rows = [line for line in CATALOG.read_text().splitlines() if _ROW.match(line)]
    assert len(rows) >= 40
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5 and all(cells), f"needs type, HTTP, API, meaning, what to do: {line}"
        assert cells[2] in ("partner", "staff", "both"), line
        assert _SLUG.match(cells[0].strip("`")), line


def test_the_collector_sees_problems_of_every_origin() -> None:
    """The scan itself: constructors in api/errors.py, literal problems in routes and
    api/problems.py, DomainError subclasses with their own or an inherited status."""
    emitted = emitted_problems()
    assert emitted["idempotency-key-reused"][0] == {409}  # api/errors.py
    assert emitted["fraud-reports-unavailable"][0] == {503}  # a route
    assert emitted["internal-error"][0] == {500}  # api/problems.py
    assert emitted["outside-catalog"][0] == {422}  # domain/errors.py
    assert emitted["review-refused"][0] == {409}  # inherits Conflict's status
    assert "domain-error" not in emitted  # the base class is never raised as itself
    assert all(_SLUG.match(slug) for slug in emitted)
