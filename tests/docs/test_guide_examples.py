"""The integration guides without a running API: every sh/python block is marked to run or
says why not, the English and Russian guides hold the same blocks and sections, and the
problem types they cite are in the error catalog. The blocks run in
tests/e2e/test_guide_examples.py."""

from __future__ import annotations

import re

import pytest

from tests.api.test_error_catalog import CATALOG, documented_problems
from tests.docs.guide_blocks import EXECUTABLE, GUIDES, HARNESSES, Block, blocks_of, runnable_blocks

_CITED_PROBLEM = re.compile(r"`(\d{3}) ([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`")


def _executable(guide: str) -> list[Block]:
    return [b for b in blocks_of(GUIDES[guide]) if b.language in EXECUTABLE]


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_every_example_is_run(guide: str) -> None:
    """Issue 8 asks that every example be run by the suite: no block is shown only."""
    for block in _executable(guide):
        assert block.marker == "run", f"{block.where}: mark it <!-- run --> (it is {block.marker!r}: {block.reason})"
        assert block.harness in ("", *HARNESSES), f"{block.where}: unknown harness {block.harness!r}"


def test_both_languages_hold_the_same_examples_in_the_same_order() -> None:
    english, russian = _executable("en"), _executable("ru")
    assert [b.signature() for b in russian] == [b.signature() for b in english], (
        "integration-guide.ru.md must hold the English guide's sh/python blocks verbatim, with "
        "the same markers, in the same order"
    )


def test_both_languages_have_the_same_sections() -> None:
    def sections(guide: str) -> list[str]:
        return [line for line in GUIDES[guide].read_text(encoding="utf-8").splitlines() if line.startswith("## ")]

    assert len(sections("en")) == len(sections("ru")) >= 12


def test_the_guide_covers_what_partners_need() -> None:
    text = GUIDES["en"].read_text(encoding="utf-8").lower()
    for topic in ("qk_test_", "qk_live_", "/v1/catalog", "idempotency-key", "prefer: wait", "webhook-signature",
                  "errors.md", "retry-after", "/v1/batches", "/v1/fraud-reports", "fraud.suspected"):  # fmt: skip
        assert topic in text, topic


def test_there_are_examples_in_both_languages_that_run() -> None:
    runnable = runnable_blocks()
    assert {b.language for b in runnable} == {"sh", "python"}
    assert len(runnable) >= 15


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_problem_types_the_guide_cites_are_in_the_catalog(guide: str) -> None:
    catalog = documented_problems(CATALOG.read_text())
    cited = _CITED_PROBLEM.findall(GUIDES[guide].read_text(encoding="utf-8"))
    assert cited
    for status, slug in cited:
        assert slug in catalog and status in catalog[slug], f"{guide}: `{status} {slug}` is not in docs/errors.md"


def test_markers_are_read_as_written(tmp_path: object) -> None:
    """The parser itself, on a small document."""
    from pathlib import Path

    doc = Path(str(tmp_path)) / "g.md"
    doc.write_text(
        "<!-- run expect='\"a\":1' expect=\"b\" unset=\"K\" harness=\"h\" -->\n\n```sh\necho 1\n```\n"
        "<!-- no-run: shown only -->\n```python\npass\n```\n```python\nprint()\n```\n```text\nx\n```\n"
    )
    first, second, third, fourth = blocks_of(doc)
    assert (first.marker, first.expect, first.unset, first.harness, first.code) == (
        "run", ('"a":1', "b"), ("K",), "h", "echo 1\n"
    )  # fmt: skip
    assert (second.marker, second.reason) == ("no-run", "shown only")
    assert third.marker is None and fourth.language == "text"


def test_an_unknown_marker_attribute_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    doc = Path(str(tmp_path)) / "g.md"
    doc.write_text("<!-- run needs=\"batches\" -->\n```sh\necho 1\n```\n")
    with pytest.raises(AssertionError, match="unknown marker attributes"):
        blocks_of(doc)
