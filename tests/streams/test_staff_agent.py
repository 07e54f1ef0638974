"""The staff agent's step on its own: email uniqueness, counted failures, redelivery."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.staff import CreateStaffUser, LockoutPolicy, RecordLoginFailure, Role
from streams.replies import decode_reply
from streams.staff_agent import StaffOutputs, StaffTables, process_staff_command
from streams.staff_messages import decode_account, decode_user, encode_staff_command
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
