"""Small pieces every report shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_PAGE = 500  # rows per page of any listing


def utc(value: Any) -> Any:
    """The columns are UTC; some clients hand back naive datetimes."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1-{MAX_PAGE}")
    return limit
