"""Staff accounts: roles, what each role may do, and the account rules (lockout, sessions).

Accounts change only through commands applied by one writer (the staff agent), so failed-login
counts and lockouts are consistent across every API node.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from domain.audit import ActorKind, AuditEvent
from domain.errors import Conflict, DomainError, InvalidCommand, NotFound


class AccountLocked(DomainError):
    status = 429
    slug = "account-locked"
    title = "Account temporarily locked"


class WrongPassword(DomainError):
    """The current password given to confirm a change is wrong (the session itself is fine)."""

    status = 403
    slug = "wrong-password"
    title = "Current password is wrong"


class Locale(str, enum.Enum):
    """The language a staff user sees the back office in."""

    EN = "en"
    RU = "ru"


class Permission(str, enum.Enum):
    """What a staff endpoint needs. Later features add members and grant them below."""

    COMPANIES_READ = "companies.read"
    COMPANIES_WRITE = "companies.write"  # create, edit, deactivate, reactivate
    API_KEYS_WRITE = "api_keys.write"  # create and revoke partner API keys
    BALANCES_READ = "balances.read"
    BALANCES_WRITE = "balances.write"  # top-up, limits, thresholds, block / unblock
    BALANCES_ADJUST = "balances.adjust"  # manual adjustments with a reason
    STAFF_MANAGE = "staff.manage"  # staff accounts and their roles
    AUDIT_READ = "audit.read"
    ORDERS_READ = "orders.read"
    RISK_REVIEW = "risk.review"  # decide held payouts, edit rules and lists
    CATALOG_WRITE = "catalog.write"  # the global products: availability, ranges, fees
    WEBHOOKS_REPLAY = "webhooks.replay"  # send partner webhooks again (same webhook-id)
    REPORTS_READ = "reports.read"  # transactions, aggregates, statements, the request log


class Role(str, enum.Enum):
    ADMIN = "admin"
    FINANCE = "finance"
    RISK = "risk"
    SUPPORT = "support"
    READ_ONLY = "read_only"


P = Permission
_LOOK = frozenset({P.COMPANIES_READ, P.BALANCES_READ, P.ORDERS_READ, P.REPORTS_READ})

# One row per role. Support runs partner onboarding (companies, keys) but never moves money;
# finance moves money but cannot hand out credentials; risk reviews; audit is for finance/risk.
# Products and their fees are pricing (finance); which products a company gets is onboarding.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.ADMIN: frozenset(Permission),  # every permission, including ones added later
        Role.FINANCE: _LOOK | {P.BALANCES_WRITE, P.BALANCES_ADJUST, P.AUDIT_READ, P.CATALOG_WRITE},
        Role.RISK: _LOOK | {P.RISK_REVIEW, P.AUDIT_READ},
        Role.SUPPORT: _LOOK | {P.COMPANIES_WRITE, P.API_KEYS_WRITE, P.WEBHOOKS_REPLAY},
        Role.READ_ONLY: _LOOK,
    }
)


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failed_logins: int
    lock_for: timedelta


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: str
    email: str  # normalized: trimmed, lower case; unique
    name: str
    role: Role
    password_hash: str  # argon2id, never the password
    created_at: datetime
    active: bool = True
    failed_logins: int = 0  # consecutive failures since the last success or lock
    locked_until: datetime | None = None
    session_epoch: int = 0  # bumped to end every session of this user at once (logout)
    version: int = 1  # +1 per change; replicas keep the highest
    locale: Locale = Locale.EN  # the user's own choice; records from before it existed read "en"

    def may(self, permission: Permission) -> bool:
        return self.active and allows(self.role, permission)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role] if self.active else frozenset()


@dataclass(frozen=True, slots=True)
class StaffActor:
    """A signed-in staff user acting through one request: what an audit event needs."""

    user: StaffUser
    request_id: str
    ip: str
    at: datetime

    def audit(
        self, action: str, target: str, company_id: str = "", details: dict[str, Any] | None = None
    ) -> AuditEvent:
        return AuditEvent(
            event_id=f"{self.request_id}:{action}",
            at=self.at,
            actor_kind=ActorKind.STAFF,
            actor_id=self.user.id,
            company_id=company_id,
            action=action,
            target=target,
            request_id=self.request_id,
            ip=self.ip,
            details=dict(details or {}),
        )


# --- commands (the staff agent applies them in order, one partition for all accounts) ---


@dataclass(frozen=True, slots=True)
class CreateStaffUser:
    request_id: str
    user_id: str
    email: str
    name: str
    role: Role
    password_hash: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ChangeStaffUser:
    """Role, name, active flag or locale; None leaves a field as it is. Deactivation ends
    sessions."""

    request_id: str
    user_id: str
    at: datetime
    name: str | None = None
    role: Role | None = None
    active: bool | None = None
    locale: Locale | None = None


@dataclass(frozen=True, slots=True)
class ChangeStaffPassword:
    """A new password (its hash), set by the user after proving the current one. Ends every
    session of the user (the caller issues a fresh one) and clears the failed-login count."""

    request_id: str
    user_id: str
    at: datetime
    password_hash: str


@dataclass(frozen=True, slots=True)
class RecordLoginFailure:
    request_id: str
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordLoginSuccess:
    request_id: str
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EndSessions:
    request_id: str
    user_id: str
    at: datetime


StaffCommand = (
    CreateStaffUser
    | ChangeStaffUser
    | ChangeStaffPassword
    | RecordLoginFailure
    | RecordLoginSuccess
    | EndSessions
)

_EMAIL = re.compile(r"^[^@\s\"<>]{1,64}@[A-Za-z0-9.\-]{1,189}\.[A-Za-z]{2,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if len(normalized) > 254 or not _EMAIL.match(normalized):
        raise InvalidCommand("email must look like name@example.com")
    return normalized


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200 or _CONTROL.search(name):
        raise InvalidCommand("name must be 1-200 printable characters")
    return name


def apply_staff_command(
    command: StaffCommand, current: StaffUser | None, email_owner: str | None, policy: LockoutPolicy
) -> StaffUser:
    """The account after `command`. `email_owner` is the id of whoever holds the command's
    email (create only). Raises a DomainError when the command is refused."""
    if isinstance(command, CreateStaffUser):
        if current is not None or email_owner is not None:
            raise Conflict("a staff user with this id or email already exists")
        return StaffUser(
            id=command.user_id,
            email=normalize_email(command.email),
            name=check_name(command.name),
            role=command.role,
            password_hash=command.password_hash,
            created_at=command.at,
        )
    if current is None:
        raise NotFound(f"no staff user {command.user_id}")
    if isinstance(command, RecordLoginFailure):
        failures = current.failed_logins + 1
        if failures >= policy.max_failed_logins:
            # The counter restarts, so the user gets a full set of attempts after the lock.
            return _next(current, failed_logins=0, locked_until=command.at + policy.lock_for)
        return _next(current, failed_logins=failures)
    if isinstance(command, RecordLoginSuccess):
        if current.locked(command.at):
            # An API node whose replica had not yet seen the lock must not lift it.
            raise AccountLocked("too many failed sign-ins; try again later")
        return _next(current, failed_logins=0, locked_until=None)
    if isinstance(command, EndSessions):
        return _next(current, session_epoch=current.session_epoch + 1)
    if isinstance(command, ChangeStaffPassword):
        return _change_password(current, command)
    return _change(current, command)


def _change(current: StaffUser, command: ChangeStaffUser) -> StaffUser:
    changes: dict[str, Any] = {}
    if command.name is not None:
        changes["name"] = check_name(command.name)
    if command.role is not None:
        changes["role"] = command.role
    if command.active is not None:
        changes["active"] = command.active
        if not command.active:
            changes["session_epoch"] = current.session_epoch + 1
        else:
            changes.update(failed_logins=0, locked_until=None)
    if command.locale is not None:
        changes["locale"] = Locale(command.locale)
    return _next(current, **changes)


def _change_password(current: StaffUser, command: ChangeStaffPassword) -> StaffUser:
    if not current.active:
        raise Conflict("the account is deactivated")
    if current.locked(command.at):
        # Checked again here: an API node whose replica had not yet seen the lock must not
        # let a password change through it.
        raise AccountLocked("too many failed sign-ins; try again later")
    if not command.password_hash.startswith("$argon2"):
        raise InvalidCommand("password_hash must be an argon2 hash")
    return _next(
        current, password_hash=command.password_hash, session_epoch=current.session_epoch + 1,
        failed_logins=0,
    )  # fmt: skip


def _next(user: StaffUser, **changes: Any) -> StaffUser:
    return replace(user, version=user.version + 1, **changes)
