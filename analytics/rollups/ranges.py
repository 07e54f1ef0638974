"""Time ranges as one SQL condition with bound parameters (never values in the SQL text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from analytics.rollups.plan import TimeRange

_AT = "DateTime64(3, 'UTC')"  # the type of orders.created_at and ledger_entries.at
_STAMP = "DateTime64(6, 'UTC')"


def range_condition(column: str, ranges: Sequence[TimeRange], prefix: str) -> tuple[str, dict[str, Any]]:
    """`(column >= a0 AND column < b0) OR …` over the ranges (a bound left out where None).
    `column` is one of ours, never input; parameters are named `{prefix}{i}_from/_to`."""
    terms: list[str] = []
    params: dict[str, Any] = {}
    for i, r in enumerate(ranges):
        parts = []
        if r.start is not None:
            parts.append(f"{column} >= {{{prefix}{i}_from:{_AT}}}")
            params[f"{prefix}{i}_from"] = r.start
        if r.end is not None:
            parts.append(f"{column} < {{{prefix}{i}_to:{_AT}}}")
            params[f"{prefix}{i}_to"] = r.end
        terms.append("(" + " AND ".join(parts) + ")" if parts else "1")
    if not terms:
        return "0", params
    return (terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"), params


def computation_condition(
    days: Sequence[tuple[date, datetime]], name: str = "rollup_days"
) -> tuple[str, dict[str, Any]]:
    """Rows of each day's given computation only (a rollup table's (day, computed_from))."""
    return (
        f"(day, computed_from) IN {{{name}:Array(Tuple(Date, {_STAMP}))}}",
        {name: [(d, c) for d, c in days]},
    )
