"""Times in query parameters are refused (422) outside what the reports store can compare
against; a year like 0032 used to reach ClickHouse as "32-03-01" and fail with a 500
(found by schemathesis, tests/e2e/test_openapi_contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from api.time_params import EARLIEST, LATEST, QueryTime
from tests.api.conftest import ApiHarness

ADAPTER: TypeAdapter[datetime] = TypeAdapter(QueryTime)
OUT_OF_RANGE = ["0032-03-01T10:43:41-01:18", "1899-12-31T23:59:59Z", "1900-01-01T00:30:00+01:00",
                "2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]  # fmt: skip


@pytest.mark.parametrize("text", ["1900-01-01T00:00:00Z", "2026-05-01T12:00:00+02:00", "2299-12-31T23:59:59Z"])
def test_times_the_store_can_hold_pass(text: str) -> None:
    assert EARLIEST <= ADAPTER.validate_python(text) <= LATEST


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_times_outside_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="between 1900-01-01 and 2299-12-31"):
        ADAPTER.validate_python(text)


def test_a_time_without_offset_is_still_refused() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(datetime(2026, 5, 1))  # naive: which zone?
    assert ADAPTER.validate_python(datetime(2026, 5, 1, tzinfo=UTC)).year == 2026


def assert_out_of_range(response: object, field: str) -> None:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"].endswith("/validation-failed")
    assert any(e["pointer"].endswith("/" + field) and "2299-12-31" in e["message"] for e in body["errors"])


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/fraud-reports"])
@pytest.mark.parametrize("field", ["from", "to"])
async def test_partner_listings_answer_422_not_500(api: ApiHarness, path: str, field: str) -> None:
    assert_out_of_range(await api.client.get(path, params={field: OUT_OF_RANGE[0]}), field)
