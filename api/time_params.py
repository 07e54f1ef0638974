"""Times in query parameters (`from`, `to`): with a UTC offset, and within what the reports store
(ClickHouse DateTime64: 1900-01-01 to 2299-12-31) can compare against. Without the bound a year
like 0032 reached the store as "32-03-01" and failed the request with a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2299, 12, 31, 23, 59, 59, tzinfo=UTC)


def within_store_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 1900-01-01 and 2299-12-31 (UTC)")
    return value


QueryTime = Annotated[AwareDatetime, AfterValidator(within_store_range)]
