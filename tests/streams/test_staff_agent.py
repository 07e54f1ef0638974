"""The staff agent's step on its own: email uniqueness, counted failures, redelivery."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.staff import (
    ChangeStaffPassword, ChangeStaffUser, CreateStaffUser, Locale, LockoutPolicy, RecordLoginFailure,
    Role, StaffCommand, StaffUser, apply_staff_command,
)  # fmt: skip
from streams.messages import MessageError, dumps
from streams.replies import decode_reply
from streams.staff_agent import StaffOutputs, StaffTables, process_staff_command
from streams.staff_messages import (
    StaffAccount, decode_account, decode_staff_command, decode_user, encode_account, encode_staff_command,
    user_from_dict, user_to_dict,
)  # fmt: skip
from tests.builders import T0
from tests.streams.agent_fakes import RecordingTopic

POLICY = LockoutPolicy(3, timedelta(minutes=15))
CREATE = CreateStaffUser("r1", "stf_1", "Ann@Quadra.test", "Ann", Role.ADMIN, "$argon2id$x", T0)


async def test_users_are_created_once_per_email_and_failures_count_once_per_command() -> None:
    tables = StaffTables({}, {})
    out = StaffOutputs(RecordingTopic(), RecordingTopic())
    await process_staff_command(encode_staff_command(CREATE), tables, POLICY, out)
    twin = replace(CREATE, request_id="r2", user_id="stf_2", email="ann@quadra.TEST")
    await process_staff_command(encode_staff_command(twin), tables, POLICY, out)

    replies = [decode_reply(v) for _, v in out.replies.sent]
    assert replies[0].ok and replies[1].error is not None and replies[1].error.status == 409
    assert list(tables.accounts) == [b"stf_1"] and tables.emails == {b"ann@quadra.test": b"stf_1"}

    failure = encode_staff_command(RecordLoginFailure("f1", "stf_1", T0))
    await process_staff_command(failure, tables, POLICY, out)
    await process_staff_command(failure, tables, POLICY, out)  # redelivered: counted once
    assert decode_account(tables.accounts[b"stf_1"]).user.failed_logins == 1
    users = [decode_user(v) for _, v in out.users.sent]
    assert [u.failed_logins for u in users] == [0, 1, 1]  # the redelivery re-emits the record


async def test_a_password_change_and_a_locale_go_through_the_agent_once() -> None:
    tables = StaffTables({}, {})
    out = StaffOutputs(RecordingTopic(), RecordingTopic())
    await process_staff_command(encode_staff_command(CREATE), tables, POLICY, out)
    change = encode_staff_command(ChangeStaffPassword("p1", "stf_1", T0, "$argon2id$new"))
    await process_staff_command(change, tables, POLICY, out)
    await process_staff_command(change, tables, POLICY, out)  # redelivered: one epoch bump
    locale = encode_staff_command(ChangeStaffUser("l1", "stf_1", T0, locale=Locale.RU))
    await process_staff_command(locale, tables, POLICY, out)

    user = decode_account(tables.accounts[b"stf_1"]).user
    assert (user.password_hash, user.session_epoch, user.locale) == ("$argon2id$new", 1, Locale.RU)
    replies = [decode_reply(v) for _, v in out.replies.sent]
    assert all(r.ok for r in replies) and replies[-1].payload["user"]["locale"] == "ru"
    assert [decode_user(v).locale for _, v in out.users.sent] == [Locale.EN] * 3 + [Locale.RU]


async def test_a_password_change_of_a_locked_account_is_refused_and_changes_nothing() -> None:
    tables = StaffTables({}, {})
    out = StaffOutputs(RecordingTopic(), RecordingTopic())
    await process_staff_command(encode_staff_command(CREATE), tables, POLICY, out)
    for n in range(POLICY.max_failed_logins):
        await process_staff_command(encode_staff_command(RecordLoginFailure(f"f{n}", "stf_1", T0)), tables, POLICY, out)
    before = tables.accounts[b"stf_1"]
    change = ChangeStaffPassword("p1", "stf_1", T0 + timedelta(minutes=1), "$argon2id$new")
    await process_staff_command(encode_staff_command(change), tables, POLICY, out)

    reply = decode_reply(out.replies.sent[-1][1])
    assert reply.error is not None and reply.error.status == 429
    assert tables.accounts[b"stf_1"] == before


def test_records_and_commands_from_before_locales_still_load() -> None:
    record = user_to_dict(decode_account(encode_account(StaffAccount(_created()))).user)
    del record["locale"]
    assert user_from_dict(record).locale is Locale.EN
    old_change = {"request_id": "c", "user_id": "stf_1", "at": T0.isoformat(), "type": "change",
                  "name": "Ann B", "role": None, "active": None}  # fmt: skip
    decoded = decode_staff_command(dumps(old_change))
    assert isinstance(decoded, ChangeStaffUser) and decoded.locale is None and decoded.name == "Ann B"


@pytest.mark.parametrize("command", [
    ChangeStaffPassword("p", "stf_1", T0, "$argon2id$h"),
    ChangeStaffUser("c", "stf_1", T0, locale=Locale.RU),
    ChangeStaffUser("c", "stf_1", T0, name="Ann", role=Role.RISK, active=False),
], ids=["password", "locale", "change"])  # fmt: skip
def test_commands_round_trip(command: StaffCommand) -> None:
    assert decode_staff_command(encode_staff_command(command)) == command


@pytest.mark.parametrize("bad", [
    {"type": "password"},  # no hash
    {"type": "change", "locale": "de"},
    {"type": "change", "locale": 7},
], ids=["no hash", "unknown locale", "locale as number"])  # fmt: skip
def test_bad_commands_are_message_errors(bad: dict) -> None:
    base = {"request_id": "c", "user_id": "stf_1", "at": T0.isoformat()}
    with pytest.raises(MessageError):
        decode_staff_command(dumps({**base, **bad}))


def _created() -> StaffUser:
    return apply_staff_command(CREATE, None, None, POLICY)
