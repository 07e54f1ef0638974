"""API side of staff accounts: commands to the staff agent, replies applied to the replica."""

from __future__ import annotations

from domain.staff import StaffCommand, StaffUser
from streams.command_client import send_command
from streams.directories import StaffDirectory
from streams.replies import CommandBus
from streams.staff_messages import encode_staff_command, user_from_dict


class KafkaStaffAccounts:
    def __init__(
        self, bus: CommandBus, topic: str, directory: StaffDirectory, timeout: float
    ) -> None:
        self._bus = bus
        self._topic = topic
        self._directory = directory
        self._timeout = timeout

    async def submit(self, command: StaffCommand) -> StaffUser:
        """The account after the command; raises CommandRefused or NoReply."""
        payload = await send_command(
            self._bus, self._topic, command.user_id, encode_staff_command(command),
            command.request_id, self._timeout,
        )  # fmt: skip
        user = user_from_dict(payload["user"])
        self._directory.remember(user)  # this node sees its own change at once
        return user
