"""Wire format of staff accounts: user records (on staff.users), the staff agent's state and
staff commands. Same conventions as streams.messages (versioned JSON, ISO 8601 UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.staff import (
    ChangeStaffPassword,
    ChangeStaffUser,
    CreateStaffUser,
    EndSessions,
    Locale,
    RecordLoginFailure,
    RecordLoginSuccess,
    Role,
    StaffCommand,
    StaffUser,
)
from streams.messages import MessageError, dumps, loads

_BAD = (KeyError, TypeError, ValueError, AttributeError)
REMEMBERED_COMMANDS = 64  # far more than one account receives between two offset commits


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """The staff agent's state per user: the record plus recently applied command ids, so a
    redelivered command changes nothing twice (a login failure must not count twice)."""

    user: StaffUser
    applied: tuple[str, ...] = ()

    def after(self, user: StaffUser, request_id: str) -> StaffAccount:
        return StaffAccount(user, (*self.applied, request_id)[-REMEMBERED_COMMANDS:])


def _opt_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def user_to_dict(u: StaffUser) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "role": u.role.value,
        "password_hash": u.password_hash,
        "created_at": u.created_at.isoformat(),
        "active": u.active,
        "failed_logins": u.failed_logins,
        "locked_until": u.locked_until.isoformat() if u.locked_until else None,
        "session_epoch": u.session_epoch,
        "version": u.version,
        "locale": u.locale.value,
    }


def user_from_dict(d: dict[str, Any]) -> StaffUser:
    try:
        return StaffUser(
            id=str(d["id"]),
            email=str(d["email"]),
            name=str(d["name"]),
            role=Role(d["role"]),
            password_hash=str(d["password_hash"]),
            created_at=datetime.fromisoformat(d["created_at"]),
            active=bool(d["active"]),
            failed_logins=int(d["failed_logins"]),
            locked_until=_opt_dt(d.get("locked_until")),
            session_epoch=int(d["session_epoch"]),
            version=int(d["version"]),
            locale=Locale(d.get("locale") or Locale.EN.value),  # absent in older records
        )
    except _BAD as exc:
        raise MessageError(f"bad staff user record: {exc!r}") from exc


def encode_user(u: StaffUser) -> bytes:
    return dumps(user_to_dict(u))


def decode_user(raw: bytes | None) -> StaffUser:
    return user_from_dict(loads(raw))


def encode_account(a: StaffAccount) -> bytes:
    return dumps({"user": user_to_dict(a.user), "applied": list(a.applied)})


def decode_account(raw: bytes | None) -> StaffAccount:
    d = loads(raw)
    try:
        return StaffAccount(user_from_dict(d["user"]), tuple(str(a) for a in d["applied"]))
    except _BAD as exc:
        raise MessageError(f"bad staff account: {exc!r}") from exc


def encode_staff_command(c: StaffCommand) -> bytes:
    base = {"request_id": c.request_id, "user_id": c.user_id, "at": c.at.isoformat()}
    if isinstance(c, CreateStaffUser):
        return dumps({**base, "type": "create", "email": c.email, "name": c.name,
                      "role": c.role.value, "password_hash": c.password_hash})  # fmt: skip
    if isinstance(c, ChangeStaffUser):
        return dumps({**base, "type": "change", "name": c.name,
                      "role": c.role.value if c.role else None, "active": c.active,
                      "locale": c.locale.value if c.locale else None})  # fmt: skip
    if isinstance(c, ChangeStaffPassword):
        return dumps({**base, "type": "password", "password_hash": c.password_hash})
    kind = {RecordLoginFailure: "login_failure", RecordLoginSuccess: "login_success",
            EndSessions: "end_sessions"}[type(c)]  # fmt: skip
    return dumps({**base, "type": kind})


def decode_staff_command(raw: bytes | None) -> StaffCommand:
    d = loads(raw)
    try:
        request_id, user_id = str(d["request_id"]), str(d["user_id"])
        at = datetime.fromisoformat(d["at"])
        kind = d["type"]
        if kind == "create":
            return CreateStaffUser(request_id, user_id, str(d["email"]), str(d["name"]),
                                   Role(d["role"]), str(d["password_hash"]), at)  # fmt: skip
        if kind == "change":
            role = Role(d["role"]) if d.get("role") else None
            active = None if d.get("active") is None else bool(d["active"])
            locale = Locale(d["locale"]) if d.get("locale") else None  # absent in older commands
            return ChangeStaffUser(request_id, user_id, at, d.get("name"), role, active, locale)
        if kind == "password":
            return ChangeStaffPassword(request_id, user_id, at, str(d["password_hash"]))
        simple = {"login_failure": RecordLoginFailure, "login_success": RecordLoginSuccess,
                  "end_sessions": EndSessions}  # fmt: skip
        if kind in simple:
            return simple[kind](request_id, user_id, at)  # type: ignore[no-any-return]
    except _BAD as exc:
        raise MessageError(f"bad staff command: {exc!r}") from exc
    raise MessageError(f"unknown staff command type {kind!r}")
