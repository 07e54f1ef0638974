"""The back office with a fraud desk and a rule desk over fakes (fixture `risk_ui`): the same
desks the staff JSON API's fraud, rule and list routes call (tests/api/staff/*_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.fraud_harness import Fraud, fraud  # noqa: F401  # the fixture
from tests.api.staff.rule_harness import Desk, desk_fixture  # noqa: F401  # the fixture `desk`
from tests.dashboards.conftest import csrf_of, sign_in


@dataclass
class RiskUi:
    h: StaffHarness
    fraud: Fraud
    desk: Desk

    @property
    def client(self) -> httpx.AsyncClient:
        return self.h.client

    async def as_role(self, role: Role) -> None:
        self.client.cookies.clear()  # sign out by forgetting the session: signing in is audited
        response = await sign_in(self.client, self.h.users[role].email)
        assert response.status_code == 303, response.text
        self.h.audit.events.clear()

    async def csrf(self, page: str = "/admin/risk/reviews") -> str:
        return await csrf_of(self.client, page)

    def written(self) -> tuple[int, int, int, int, int]:
        """Review commands, case events, rule records, list records, audit events."""
        commands, events, audit = self.fraud.written()
        rules, lists, _ = self.desk.written()
        return commands, events, rules, lists, audit


@pytest.fixture
async def risk_ui(admin_ui: StaffHarness, fraud: Fraud, desk: Desk) -> AsyncIterator[RiskUi]:  # noqa: F811
    """Signed in as the admin; `as_role` signs in as another role."""
    fraud.h.audit.events.clear()  # signing in is audited; the tests count what actions write
    yield RiskUi(admin_ui, fraud, desk)
