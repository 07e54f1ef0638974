"""Use cases of a staff user on their own account: the password and the language.

Both go through the staff agent (the one writer of accounts) like every other account change.

Changing the password ends every session of the user, including the one making the change:
the command bumps the session epoch. The caller gets a fresh session in the answer (token,
CSRF token, cookies), so the browser that made the change stays signed in and every other
device or stolen token is out. A wrong current password counts as a failed sign-in: a
hijacked session must not become an unlimited password oracle, so it locks the account
after the same number of attempts as the sign-in form, and a locked account cannot change
its password until the lock runs out.
"""

from __future__ import annotations

import asyncio
import math

from api import errors
from api.staff.auth_service import StaffAccounts
from api.staff.tokens import IssuedSession, SessionTokens
from domain.audit import AuditTrail
from domain.errors import DomainError, InvalidCommand
from domain.passwords import PasswordHasher, check_new_password
from domain.staff import (
    AccountLocked,
    ChangeStaffPassword,
    ChangeStaffUser,
    Locale,
    RecordLoginFailure,
    StaffActor,
    StaffUser,
    WrongPassword,
)


class OwnAccount:
    def __init__(
        self,
        accounts: StaffAccounts,
        passwords: PasswordHasher,
        tokens: SessionTokens,
        audit: AuditTrail,
    ) -> None:
        self._accounts = accounts
        self._passwords = passwords
        self._tokens = tokens
        self._audit = audit

    async def change_password(
        self, actor: StaffActor, current_password: str, new_password: str
    ) -> IssuedSession:
        """The new session that replaces every session of the user. Raises WrongPassword
        (403), a 429 problem while the account is locked, InvalidCommand for a weak password."""
        user = actor.user
        try:
            check_new_password(new_password)
        except InvalidCommand as exc:
            raise InvalidCommand(exc.detail, "/new_password") from None
        if new_password == current_password:
            raise InvalidCommand("the new password must differ from the current one", "/new_password")
        if user.locked(actor.at):
            await self._failed(actor, "locked")
            assert user.locked_until is not None
            raise errors.account_locked(math.ceil((user.locked_until - actor.at).total_seconds()))
        # argon2 takes tens of milliseconds of CPU each: off the event loop.
        valid = await asyncio.to_thread(self._passwords.verify, user.password_hash, current_password)
        if not valid:
            await self._accounts.submit(RecordLoginFailure(actor.request_id, user.id, actor.at))
            await self._failed(actor, "wrong_password")
            raise WrongPassword("the current password is wrong", "/current_password")
        password_hash = await asyncio.to_thread(self._passwords.hash, new_password)
        try:
            changed = await self._accounts.submit(
                ChangeStaffPassword(actor.request_id, user.id, actor.at, password_hash)
            )
        except DomainError as error:
            if error.slug != AccountLocked.slug:
                raise
            # Locked through another node a moment ago; this node's replica lags behind.
            await self._failed(actor, "locked")
            raise errors.account_locked(60) from None
        await self._audit.record(
            actor.audit("staff.password_changed", user.id, details={"sessions_ended": True})
        )
        return self._tokens.issue(changed, actor.at)

    async def set_locale(self, actor: StaffActor, locale: Locale) -> StaffUser:
        user = await self._accounts.submit(
            ChangeStaffUser(actor.request_id, actor.user.id, actor.at, locale=locale)
        )
        await self._audit.record(
            actor.audit("staff.user_update", actor.user.id, details={"locale": locale.value})
        )
        return user

    async def _failed(self, actor: StaffActor, reason: str) -> None:
        await self._audit.record(
            actor.audit("staff.password_change_failed", actor.user.id, details={"reason": reason})
        )
