"""The staff app with fraud rules and lists over in-memory topics and decisions (fixture `desk`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from api.staff.list_service import ListAdmin
from api.staff.rule_desk import RuleDesk
from api.staff.rule_service import RuleAdmin
from api.staff.rule_trials import RuleTrials
from detectors.lists import ListIndex
from domain.staff import Role
from streams.fraud_rules import RuleBook
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.rule_fakes import VAULT, InMemoryDecisionHistory, InMemoryListStore, InMemoryRuleStore, stored

BASE = "/staff/v1/fraud"


@dataclass
class Desk:
    h: StaffHarness
    rules: InMemoryRuleStore
    lists: InMemoryListStore
    history: InMemoryDecisionHistory

    async def call(self, role: Role, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.h.bearer(role), **kw.pop("headers", {})}
        return await self.h.client.request(method, BASE + path, headers=headers, **kw)

    def written(self) -> tuple[int, int, int]:
        """What changes leave behind: rule records, list records, audit events."""
        return len(self.rules.records), len(self.lists.records), len(self.h.audit.events)


@pytest.fixture(name="desk")
async def desk_fixture(staff_api: StaffHarness) -> AsyncIterator[Desk]:
    book = RuleBook()
    rule_store, list_store = InMemoryRuleStore(book), InMemoryListStore()
    history = InMemoryDecisionHistory(
        [stored(n, hours=n, amount=10_000 * (n + 1), user_count_1h=float(n)) for n in range(10)], {"ord_7"}
    )
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    admin = RuleAdmin(book, rule_store, staff_api.audit)
    lists = ListAdmin(ListIndex(), list_store, VAULT, staff_api.registry, staff_api.audit)
    rule_desk = RuleDesk(admin, RuleTrials(admin, history), lists)
    app.state.services = replace(services, staff=replace(services.staff, rule_desk=rule_desk))
    staff_api.audit.events.clear()
    yield Desk(staff_api, rule_store, list_store, history)
