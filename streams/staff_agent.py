"""The staff agent: the single writer of staff accounts.

Consumes `staff.commands` (one partition: every account's commands in one order, which also
makes email uniqueness a plain lookup) and writes full user records to the compacted
`staff.users` topic that every API node replicates. Callers get the verdict on
`commands.replies`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from domain.errors import DomainError
from domain.staff import CreateStaffUser, LockoutPolicy, apply_staff_command, normalize_email
from streams import messages
from streams.replies import CommandError, CommandReply, encode_reply
from streams.staff_messages import (
    StaffAccount,
    decode_account,
    decode_staff_command,
    encode_account,
    encode_user,
    user_to_dict,
)
from streams.topics import COMMAND_REPLIES, STAFF_COMMANDS, STAFF_USERS
from streams.worker import WorkerKit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StaffOutputs:
    users: Any  # faust topics; typed loosely because faust's typing is incomplete
    replies: Any


@dataclass(frozen=True, slots=True)
class StaffTables:
    accounts: Any  # user id -> StaffAccount
    emails: Any  # normalized email -> user id


def register_staff(kit: WorkerKit, lockout: LockoutPolicy) -> None:
    commands = kit.topic(STAFF_COMMANDS)
    outputs = StaffOutputs(users=kit.topic(STAFF_USERS), replies=kit.topic(COMMAND_REPLIES))
    tables = StaffTables(
        accounts=kit.table("staff-accounts", partitions=1),
        emails=kit.table("staff-emails", partitions=1),
    )

    @kit.app.agent(commands, name="staff")
    async def staff(stream: Any) -> None:
        async for value in stream:
            await process_staff_command(value, tables, lockout, outputs)


async def process_staff_command(
    raw: bytes, tables: StaffTables, lockout: LockoutPolicy, outputs: StaffOutputs
) -> None:
    try:
        command = decode_staff_command(raw)
        key = command.user_id.encode()
        stored = tables.accounts.get(key)
        account = decode_account(stored) if stored is not None else None
    except messages.MessageError as exc:
        log.warning("skipping undecodable staff command or state: %s", exc)
        return
    if account is not None and command.request_id in account.applied:
        user = account.user  # redelivered: re-emit, change nothing
    else:
        try:
            owner = None
            if isinstance(command, CreateStaffUser):
                owner_raw = tables.emails.get(normalize_email(command.email).encode())
                owner = owner_raw.decode() if owner_raw is not None else None
            user = apply_staff_command(command, account.user if account else None, owner, lockout)
        except DomainError as error:
            reply = CommandReply(command.request_id, CommandError.from_domain(error))
            await outputs.replies.send(key=key, value=encode_reply(reply))
            return
        base = account or StaffAccount(user)
        tables.accounts[key] = encode_account(base.after(user, command.request_id))
        tables.emails[user.email.encode()] = key
    await outputs.users.send(key=key, value=encode_user(user))
    reply = CommandReply(command.request_id, payload={"user": user_to_dict(user)})
    await outputs.replies.send(key=key, value=encode_reply(reply))
