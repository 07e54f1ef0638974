"""Rule errors: every refusal says which rule and, when it is about the expression, where."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule that cannot be accepted; `line` and `column` are 1-based, None if not positional."""

    def __init__(
        self, message: str, rule_id: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        self.reason = message
        self.rule_id = rule_id
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        who = f"rule {rule_id}: " if rule_id else ""
        super().__init__(f"{who}{where}{message}")


class Problem(Exception):
    """Raised inside the parser and checker at an offset; turned into a RuleError by the caller."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based offset."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
