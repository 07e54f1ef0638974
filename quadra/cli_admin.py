"""`quadra admin …`: staff accounts from the command line (the first admin comes from here)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from domain.audit import ActorKind, AuditEvent
from domain.errors import DomainError
from domain.passwords import PasswordHasher, check_new_password
from domain.staff import CreateStaffUser, Role, StaffUser, check_name, normalize_email
from quadra.cli_common import describe_settings_error
from quadra.local_kafka import KafkaSetupError, local_kafka_from_settings
from quadra.settings import Settings
from streams.admin import ensure_topics
from streams.audit_trail import KafkaAuditTrail
from streams.command_client import NoReply, send_command
from streams.replies import CommandBus
from streams.staff_messages import encode_staff_command, user_from_dict
from streams.topics import AUDIT_EVENTS, COMMAND_REPLIES, STAFF_COMMANDS, TopicNames

admin_app = typer.Typer(
    help="Staff accounts. Needs Kafka (the local broker when QUADRA_KAFKA_BOOTSTRAP is unset).",
    no_args_is_help=True,
)


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Sign-in email (unique).")],
    name: Annotated[str, typer.Option(help="Full name, shown in the audit log.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin, not a prompt.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the staff agent.")] = 30,
) -> None:
    """Create a staff user. Prompts for the password (12+ characters) unless --password-stdin."""
    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        email, name = normalize_email(email), check_name(name)
        check_new_password(password)
    except DomainError as error:
        _fail(error.detail)
    command = CreateStaffUser(
        f"cli-{secrets.token_hex(12)}", f"stf_{secrets.token_hex(12)}", email, name, role,
        PasswordHasher().hash(password), datetime.now(UTC),
    )  # fmt: skip
    try:
        user = asyncio.run(_create(settings, command, timeout))
    except NoReply:
        typer.echo(
            "The command is queued, but no worker answered yet: the user is created when a "
            "worker runs (`quadra up` or `quadra worker`).", err=True,
        )  # fmt: skip
        raise typer.Exit(3) from None
    except DomainError as error:
        _fail(error.detail, code=1)
    except KafkaSetupError as error:
        _fail(error)
    typer.echo(f"Created {user.role.value} {user.email} ({user.id}).")


async def _create(settings: Settings, command: CreateStaffUser, timeout: float) -> StaffUser:
    """Same Kafka resolution as `quadra up`: the local broker when no bootstrap is set. A
    broker this command had to start has no worker on it: publish, do not wait, stop it."""
    if settings.kafka_bootstrap:
        return await create_staff_user(settings.kafka_bootstrap, settings, command, timeout)
    local = local_kafka_from_settings(settings)
    await asyncio.to_thread(local.ensure_jars)
    started = await asyncio.to_thread(local.start)
    try:
        wait = 0 if started else timeout
        return await create_staff_user(local.bootstrap, settings, command, wait)
    finally:
        if started:
            await asyncio.to_thread(local.stop)


async def create_staff_user(
    bootstrap: str, settings: Settings, command: CreateStaffUser, timeout: float
) -> StaffUser:
    """Sends the command to the staff agent and awaits its verdict; records the audit event.
    Raises NoReply (the command stays queued) or the agent's refusal as a DomainError."""
    names = TopicNames(settings.topic_prefix)
    await ensure_topics(bootstrap, names, settings.kafka_partitions, settings.kafka_replication)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    bus = CommandBus(producer, bootstrap, names(COMMAND_REPLIES), settings.kafka_partitions)
    await bus.start()
    try:
        payload = await send_command(
            bus, names(STAFF_COMMANDS), command.user_id, encode_staff_command(command),
            command.request_id, timeout,
        )  # fmt: skip
        user = user_from_dict(payload["user"])
        await KafkaAuditTrail(producer, names(AUDIT_EVENTS)).record(
            AuditEvent(
                f"{command.request_id}:staff.user_create", command.at, ActorKind.SYSTEM,
                "cli", "", "staff.user_create", user.id, command.request_id,
                details={"email": user.email, "role": user.role.value},
            )  # fmt: skip
        )
        return user
    finally:
        await bus.stop()
        await producer.stop()


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        _fail(f"invalid settings:\n{describe_settings_error(error)}")


def _fail(message: object, code: int = 2) -> NoReturn:
    typer.echo(f"quadra: {message}", err=True)
    raise typer.Exit(code)
