"""The staff app with a fraud desk over in-memory fraud tables (fixture `fraud`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from api.staff.fraud_service import FraudDesk
from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.fraud_fakes import (
    FakeIntakeReviews, FraudTables, InMemoryCases, InMemoryFraudReads, InMemoryOrders, RecordingCaseLog,
    seeded_tables,
)  # fmt: skip

BASE = "/staff/v1/fraud"


@dataclass
class Fraud:
    h: StaffHarness
    tables: FraudTables
    reviews: FakeIntakeReviews
    case_log: RecordingCaseLog

    async def call(self, role: Role, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.h.bearer(role), **kw.pop("headers", {})}
        return await self.h.client.request(method, BASE + path, headers=headers, **kw)

    def written(self) -> tuple[int, int, int]:
        """What actions leave behind: review commands sent, case events appended, audit events."""
        return len(self.reviews.commands), len(self.case_log.appended), len(self.h.audit.events)


@pytest.fixture
async def fraud(staff_api: StaffHarness) -> AsyncIterator[Fraud]:
    tables = seeded_tables()
    reviews, case_log = FakeIntakeReviews(tables), RecordingCaseLog(tables)
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    desk = FraudDesk(
        InMemoryFraudReads(tables), InMemoryCases(tables), InMemoryOrders(tables), reviews, case_log,
        services.staff.users.get, staff_api.audit,
    )  # fmt: skip
    app.state.services = replace(services, staff=replace(services.staff, fraud=desk))
    staff_api.audit.events.clear()
    yield Fraud(staff_api, tables, reviews, case_log)
