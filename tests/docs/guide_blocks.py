"""The code blocks of the integration guides and what each is marked to be.

Every ```sh and ```python block is preceded (blank lines allowed) by one marker comment:

    <!-- run -->                           run it; it must exit 0
    <!-- run expect='"status":"completed"' expect='201' -->
                                           …and print each expected text
    <!-- run unset="QUADRA_API_KEY" -->    …with that variable unset (the block sets it itself)
    <!-- run harness="webhook-receiver" -->
                                           …between the named harness's `before()` and
                                           `after(namespace)` (tests/e2e/guide_harness/): for a
                                           block that is a server, not a script
    <!-- no-run: why it is not run -->     shown only (a reason is required); the guides have none

Every block runs in a directory laid out like a checkout after `make run`: `var/` holds the
stack's data (so `var/demo-api-key` is the demo company's sandbox key).

Blocks of other languages (```text, ```json, ```csv) are illustrations and need no marker.
The English and Russian guides hold the same blocks with the same markers, in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDES = {"en": REPO / "docs" / "integration-guide.md", "ru": REPO / "docs" / "integration-guide.ru.md"}
EXECUTABLE = ("sh", "python")
ATTRIBUTES = ("expect", "unset", "harness")
HARNESSES = ("webhook-receiver",)

_FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*(run|no-run)\b(.*?)-->\s*$")
_ATTRIBUTE = re.compile(r"""(\w+)=(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class Block:
    guide: str
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    marker: str | None  # "run", "no-run" or None (unmarked)
    reason: str = ""  # of a no-run
    expect: tuple[str, ...] = ()
    unset: tuple[str, ...] = field(default_factory=tuple)
    harness: str = ""

    @property
    def where(self) -> str:
        return f"{self.guide}:{self.line}"

    def signature(self) -> tuple[str, str, str, tuple[str, ...], tuple[str, ...], str]:
        """What must be the same in both languages (the reason of a no-run is prose)."""
        return (self.language, self.code, self.marker or "", self.expect, self.unset, self.harness)


def _marker_of(lines: list[str], fence_index: int) -> tuple[str | None, str]:
    """The marker comment right above a fence (blank lines between are fine)."""
    i = fence_index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0:
        return None, ""
    match = _MARKER.match(lines[i].strip())
    return (match.group(1), match.group(2).strip()) if match else (None, "")


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"{path.name}:{i + 1}: unclosed code block"
        marker, rest = _marker_of(lines, i)
        attributes = [(name, a or b) for name, a, b in _ATTRIBUTE.findall(rest)]
        unknown = {name for name, _ in attributes} - set(ATTRIBUTES)
        assert not unknown, f"{path.name}:{i + 1}: unknown marker attributes {sorted(unknown)}"
        found.append(
            Block(
                guide=path.name, line=i + 1, language=opening.group(1), code="\n".join(lines[i + 1 : end]) + "\n",
                marker=marker, reason=rest.removeprefix(":").strip() if marker == "no-run" else "",
                expect=tuple(v for n, v in attributes if n == "expect"),
                unset=tuple(v for n, v in attributes if n == "unset"),
                harness=next((v for n, v in attributes if n == "harness"), ""),
            )
        )  # fmt: skip
        i = end + 1
    return found


def runnable_blocks() -> list[Block]:
    """The blocks to execute: the English guide's (the Russian one has the same, verbatim)."""
    return [b for b in blocks_of(GUIDES["en"]) if b.language in EXECUTABLE and b.marker == "run"]
