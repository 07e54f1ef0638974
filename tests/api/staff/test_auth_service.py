"""The sign-in use case when this node's replica lags behind the staff agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from api.errors import Problem
from api.staff.auth_service import Caller, StaffAuthService
from api.staff.tokens import SessionTokens
from domain.staff import RecordLoginFailure, Role, StaffUser
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.fakes import FAST_PASSWORDS, LOCKOUT, PASSWORD, SECRET, InMemoryStaff


@dataclass
class StaleReplica:
    """What a node saw before the last commands another node sent."""

    users: dict[str, StaffUser]

    def by_id(self, user_id: str) -> StaffUser | None:
        return self.users.get(user_id)

    def by_email(self, email: str) -> StaffUser | None:
        return next((u for u in self.users.values() if u.email == email), None)

    def all(self) -> list[StaffUser]:
        return list(self.users.values())


async def test_the_right_password_on_a_lagging_node_does_not_lift_a_fresh_lock() -> None:
    agent, audit = InMemoryStaff(), RecordingAuditTrail()
    user = agent.add(Role.FINANCE)
    now = datetime.now(UTC)
    for n in range(LOCKOUT.max_failed_logins - 1):
        await agent.submit(RecordLoginFailure(f"f{n}", user.id, now))
    replica = StaleReplica({user.id: agent.users[user.id]})  # saw two failures, not the third
    await agent.submit(RecordLoginFailure("f-last", user.id, now))  # through another node
    assert agent.users[user.id].locked(now)

    tokens = SessionTokens(SECRET, timedelta(hours=1))
    auth = StaffAuthService(replica, agent, FAST_PASSWORDS, tokens, audit, secure_cookies=False)
    with pytest.raises(Problem) as refused:
        await auth.login(user.email, PASSWORD, Caller("req", "10.0.0.1", now))
    assert refused.value.status == 429 and refused.value.slug == "account-locked"
    assert agent.users[user.id].locked(now)
    assert [e.action for e in audit.events] == ["staff.login_locked"]
