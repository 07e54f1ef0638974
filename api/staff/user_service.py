"""Use cases behind the staff-account routes (admin only). Ports come in as arguments."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

from api.staff.auth_service import StaffAccounts, StaffReader
from domain.audit import AuditTrail
from domain.errors import Conflict, NotFound
from domain.passwords import PasswordHasher, check_new_password
from domain.staff import ChangeStaffUser, CreateStaffUser, Locale, Role, StaffActor, StaffUser


def new_staff_id() -> str:
    return f"stf_{secrets.token_hex(12)}"


class StaffAdmin:
    def __init__(
        self,
        users: StaffReader,
        accounts: StaffAccounts,
        passwords: PasswordHasher,
        audit: AuditTrail,
        new_id: Callable[[], str] = new_staff_id,
    ) -> None:
        self._users = users
        self._accounts = accounts
        self._passwords = passwords
        self._audit = audit
        self._new_id = new_id

    def list(self) -> list[StaffUser]:
        return self._users.all()

    def get(self, user_id: str) -> StaffUser:
        user = self._users.by_id(user_id)
        if user is None:
            raise NotFound(f"no staff user {user_id}")
        return user

    async def create(
        self, actor: StaffActor, email: str, name: str, role: Role, password: str
    ) -> StaffUser:
        password_hash = await asyncio.to_thread(self._passwords.hash, check_new_password(password))
        user_id = self._new_id()
        user = await self._accounts.submit(
            CreateStaffUser(actor.request_id, user_id, email, name, role, password_hash, actor.at)
        )
        await self._audit.record(
            actor.audit(
                "staff.user_create", user_id, details={"email": user.email, "role": role.value}
            )
        )
        return user

    async def change(
        self,
        actor: StaffActor,
        user_id: str,
        name: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        locale: Locale | None = None,
    ) -> StaffUser:
        self.get(user_id)
        if user_id == actor.user.id and (role is not None or active is False):
            # Keeps at least the admin making changes able to undo them.
            raise Conflict("you cannot change your own role or deactivate yourself")
        user = await self._accounts.submit(
            ChangeStaffUser(actor.request_id, user_id, actor.at, name, role, active, locale)
        )
        given = (("name", name), ("role", role and role.value), ("active", active),
                 ("locale", locale and locale.value))  # fmt: skip
        details = {k: v for k, v in given if v is not None}
        await self._audit.record(actor.audit("staff.user_update", user_id, details=details))
        return user
