from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import Conflict, InvalidCommand, NotFound
from domain.staff import (
    ROLE_PERMISSIONS,
    AccountLocked,
    ChangeStaffPassword,
    ChangeStaffUser,
    CreateStaffUser,
    EndSessions,
    Locale,
    LockoutPolicy,
    Permission,
    RecordLoginFailure,
    RecordLoginSuccess,
    Role,
    StaffActor,
    StaffUser,
    apply_staff_command,
)
from tests.builders import T0

POLICY = LockoutPolicy(max_failed_logins=3, lock_for=timedelta(minutes=15))
CREATE = CreateStaffUser("r1", "stf_1", " Ann@Quadra.Test ", " Ann ", Role.FINANCE, "$argon2id$x", T0)


def _user() -> StaffUser:
    return apply_staff_command(CREATE, None, None, POLICY)


def test_every_role_has_a_row_and_admin_has_every_permission() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert all(Permission.COMPANIES_READ in row for row in ROLE_PERMISSIONS.values())
    assert [r for r, row in ROLE_PERMISSIONS.items() if Permission.STAFF_MANAGE in row] == [Role.ADMIN]
    assert ROLE_PERMISSIONS[Role.READ_ONLY] <= ROLE_PERMISSIONS[Role.SUPPORT]


def test_create_normalizes_and_refuses_duplicates_and_bad_input() -> None:
    user = _user()
    assert (user.email, user.name, user.version, user.active) == ("ann@quadra.test", "Ann", 1, True)
    with pytest.raises(Conflict):
        apply_staff_command(replace(CREATE, user_id="stf_2"), None, "stf_1", POLICY)  # email taken
    with pytest.raises(Conflict):
        apply_staff_command(CREATE, user, None, POLICY)  # id taken
    with pytest.raises(InvalidCommand):
        apply_staff_command(replace(CREATE, email="ann"), None, None, POLICY)
    with pytest.raises(InvalidCommand):
        apply_staff_command(replace(CREATE, name="\x00"), None, None, POLICY)


def test_failures_lock_after_the_limit_and_the_count_restarts() -> None:
    user = _user()
    for n in (1, 2):
        user = apply_staff_command(RecordLoginFailure(f"f{n}", user.id, T0), user, None, POLICY)
        assert user.failed_logins == n and not user.locked(T0)
    locked = apply_staff_command(RecordLoginFailure("f3", user.id, T0), user, None, POLICY)
    assert locked.failed_logins == 0 and locked.locked_until == T0 + timedelta(minutes=15)
    assert locked.locked(T0 + timedelta(minutes=14)) and not locked.locked(T0 + timedelta(minutes=15))

    reset = apply_staff_command(RecordLoginSuccess("s", user.id, T0), user, None, POLICY)
    assert reset.failed_logins == 0 and reset.locked_until is None
    assert reset.version == user.version + 1


def test_logout_and_deactivation_end_sessions_reactivation_clears_the_lock() -> None:
    user = _user()
    out = apply_staff_command(EndSessions("e", user.id, T0), user, None, POLICY)
    assert out.session_epoch == user.session_epoch + 1
    off = apply_staff_command(ChangeStaffUser("c", user.id, T0, active=False), out, None, POLICY)
    assert off.session_epoch == out.session_epoch + 1 and not off.may(Permission.COMPANIES_READ)
    locked = replace(off, locked_until=T0 + timedelta(hours=1), failed_logins=2)
    on = apply_staff_command(ChangeStaffUser("c2", user.id, T0, active=True), locked, None, POLICY)
    assert on.active and on.locked_until is None and on.failed_logins == 0
    promoted = apply_staff_command(ChangeStaffUser("c3", user.id, T0, role=Role.ADMIN), on, None, POLICY)
    assert promoted.may(Permission.STAFF_MANAGE)


def test_commands_for_unknown_users_are_refused() -> None:
    with pytest.raises(NotFound):
        apply_staff_command(RecordLoginFailure("f", "stf_x", T0), None, None, POLICY)


def test_an_actors_audit_event_id_derives_from_the_request() -> None:
    event = StaffActor(_user(), "req1", "10.0.0.1", T0).audit("company.create", "cmp_a", "cmp_a", {"x": 1})
    assert (event.event_id, event.actor_id, event.ip, event.details) == (
        "req1:company.create", "stf_1", "10.0.0.1", {"x": 1},
    )  # fmt: skip


def test_a_success_reported_by_a_lagging_node_does_not_lift_a_lock() -> None:
    user = _user()
    for n in range(POLICY.max_failed_logins):
        user = apply_staff_command(RecordLoginFailure(f"f{n}", user.id, T0), user, None, POLICY)
    with pytest.raises(AccountLocked):
        apply_staff_command(RecordLoginSuccess("s", user.id, T0 + timedelta(minutes=1)), user, None, POLICY)
    later = T0 + POLICY.lock_for
    unlocked = apply_staff_command(RecordLoginSuccess("s", user.id, later), user, None, POLICY)
    assert unlocked.locked_until is None


# --- password change and locale ------------------------------------------------------------

NEW_HASH = "$argon2id$new"
LOCKED = {"locked_until": T0 + timedelta(minutes=5)}

# (name, changes to the user first, command fields, expected error or None)
PASSWORD_CASES: list[tuple[str, dict, dict, type[Exception] | None]] = [
    ("plain", {}, {}, None),
    ("clears failures", {"failed_logins": 2}, {}, None),
    ("after the lock ran out", {"locked_until": T0 - timedelta(seconds=1)}, {}, None),
    ("locked", LOCKED, {}, AccountLocked),
    ("deactivated", {"active": False}, {}, Conflict),
    ("not a hash", {}, {"password_hash": "hunter2hunter2"}, InvalidCommand),
    ("empty hash", {}, {"password_hash": ""}, InvalidCommand),
]  # fmt: skip


@pytest.mark.parametrize(("name", "changes", "fields", "error"), PASSWORD_CASES, ids=[c[0] for c in PASSWORD_CASES])
def test_change_password(name: str, changes: dict, fields: dict, error: type[Exception] | None) -> None:
    user = replace(_user(), **changes)
    command = ChangeStaffPassword(**{"request_id": "p", "user_id": user.id, "at": T0, "password_hash": NEW_HASH,
                                     **fields})  # fmt: skip
    if error is not None:
        with pytest.raises(error):
            apply_staff_command(command, user, None, POLICY)
        return
    changed = apply_staff_command(command, user, None, POLICY)
    assert changed.password_hash == NEW_HASH and changed.failed_logins == 0
    assert changed.session_epoch == user.session_epoch + 1  # every session ends
    assert changed.version == user.version + 1
    assert (changed.role, changed.email, changed.locale) == (user.role, user.email, user.locale)


def test_change_password_of_an_unknown_user_is_refused() -> None:
    with pytest.raises(NotFound):
        apply_staff_command(ChangeStaffPassword("p", "stf_x", T0, NEW_HASH), None, None, POLICY)


LOCALE_CASES = [
    ("default", None, Locale.EN),
    ("to russian", Locale.RU, Locale.RU),
    ("back to english", Locale.EN, Locale.EN),
]


@pytest.mark.parametrize(("name", "locale", "expected"), LOCALE_CASES, ids=[c[0] for c in LOCALE_CASES])
def test_locale(name: str, locale: Locale | None, expected: Locale) -> None:
    user = replace(_user(), locale=Locale.RU) if name == "back to english" else _user()
    command = ChangeStaffUser("l", user.id, T0, locale=locale) if locale else ChangeStaffUser("l", user.id, T0)
    changed = apply_staff_command(command, user, None, POLICY)
    assert changed.locale is expected
    assert changed.session_epoch == user.session_epoch  # a language change ends no session


def test_new_users_read_english_and_locales_are_the_wire_values() -> None:
    assert _user().locale is Locale.EN
    assert [loc.value for loc in Locale] == ["en", "ru"]
