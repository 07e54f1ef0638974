"""Sign-in, sign-out and session checks for staff. Ports come in, so tests pass fakes.

Passwords are verified on the API node against its replica; every outcome that changes an
account (a failure counted, a lock, a reset, a logout) is a command to the staff agent, the
one writer, so the count and the lock hold across all API nodes.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from api import errors
from api.staff.tokens import IssuedSession, SessionClaims, SessionTokens
from domain.audit import ActorKind, AuditEvent, AuditTrail
from domain.errors import DomainError
from domain.passwords import PasswordHasher
from domain.staff import (
    AccountLocked,
    EndSessions,
    RecordLoginFailure,
    RecordLoginSuccess,
    StaffActor,
    StaffCommand,
    StaffUser,
)


class StaffReader(Protocol):
    def by_id(self, user_id: str) -> StaffUser | None: ...

    def by_email(self, email: str) -> StaffUser | None: ...

    def all(self) -> list[StaffUser]: ...


class StaffAccounts(Protocol):
    async def submit(self, command: StaffCommand) -> StaffUser:
        """The account after the command; raises a DomainError when refused or unanswered."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling before anyone is signed in."""

    request_id: str
    ip: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StaffSession:
    user: StaffUser
    claims: SessionClaims


class StaffAuthService:
    def __init__(
        self,
        users: StaffReader,
        accounts: StaffAccounts,
        passwords: PasswordHasher,
        tokens: SessionTokens,
        audit: AuditTrail,
        secure_cookies: bool,
    ) -> None:
        self._users = users
        self._accounts = accounts
        self._passwords = passwords
        self._tokens = tokens
        self._audit = audit
        self.secure_cookies = secure_cookies  # Secure cookies need HTTPS: on in live mode
        self.session_ttl = tokens.ttl

    async def login(self, email: str, password: str, caller: Caller) -> IssuedSession:
        user = self._users.by_email(email)
        if user is not None and user.locked(caller.at):
            await self._audit.record(_anonymous(caller, "staff.login_locked", user.id, email))
            assert user.locked_until is not None
            raise errors.account_locked(math.ceil((user.locked_until - caller.at).total_seconds()))
        # argon2 takes tens of milliseconds of CPU: off the event loop. An unknown email is
        # checked against a decoy hash, so it takes as long as a wrong password.
        valid = await asyncio.to_thread(
            self._passwords.verify, user.password_hash if user else None, password
        )
        if user is None or not valid or not user.active:
            if user is not None and not valid:
                failure = RecordLoginFailure(caller.request_id, user.id, caller.at)
                await self._accounts.submit(failure)
            target = user.id if user else ""
            await self._audit.record(_anonymous(caller, "staff.login_failed", target, email))
            raise errors.login_failed()
        if user.failed_logins:
            try:
                success = RecordLoginSuccess(caller.request_id, user.id, caller.at)
                user = await self._accounts.submit(success)
            except DomainError as error:
                if error.slug != AccountLocked.slug:
                    raise
                # Locked through another node a moment ago; this node's replica lags behind.
                await self._audit.record(_anonymous(caller, "staff.login_locked", user.id, email))
                raise errors.account_locked(60) from None
        issued = self._tokens.issue(user, caller.at)
        actor = StaffActor(user, caller.request_id, caller.ip, caller.at)
        await self._audit.record(actor.audit("staff.login", user.id))
        return issued

    async def logout(self, actor: StaffActor) -> None:
        """Ends every session of the user (all devices): sessions are stateless tokens."""
        await self._accounts.submit(EndSessions(actor.request_id, actor.user.id, actor.at))
        await self._audit.record(actor.audit("staff.logout", actor.user.id))

    def session(self, token: str, now: datetime) -> StaffSession:
        claims = self._tokens.read(token, now)
        user = self._users.by_id(claims.user_id) if claims else None
        # A token newer than this replica's record (issued by a password change on another
        # node a moment ago) is fine: epochs only grow, and only a signed token carries one.
        if claims is None or user is None or not user.active or claims.epoch < user.session_epoch:
            raise errors.staff_unauthorized("The session is invalid or has ended: sign in again.")
        return StaffSession(user, claims)

    def csrf_matches(self, session: StaffSession, given: str) -> bool:
        return self._tokens.csrf_matches(session.claims, given)

    def csrf_token(self, session: StaffSession) -> str:
        return self._tokens.csrf_token(session.claims)


def _anonymous(caller: Caller, action: str, user_id: str, email: str) -> AuditEvent:
    return AuditEvent(
        event_id=f"{caller.request_id}:{action}",
        at=caller.at,
        actor_kind=ActorKind.STAFF,
        actor_id=user_id,
        company_id="",
        action=action,
        target=user_id,
        request_id=caller.request_id,
        ip=caller.ip,
        details={"email": email[:254]},
    )
