"""The registry agent: the single writer of companies and their API keys.

Consumes `companies.commands` (keyed by company id, so one company's commands are applied in
order by the worker owning its partition) and writes full records to the compacted
`companies` and `companies.api_keys` topics, which every API node replicates. Callers get the
verdict on `commands.replies`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from domain.errors import DomainError
from domain.registry import RegistryOutcome, apply_registry_command
from streams import messages
from streams.registry_messages import (
    company_to_dict,
    decode_registration,
    decode_registry_command,
    encode_company,
    encode_registration,
)
from streams.replies import CommandError, CommandReply, encode_reply
from streams.topics import API_KEYS, COMMAND_REPLIES, COMPANIES, COMPANY_COMMANDS
from streams.worker import WorkerKit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RegistryOutputs:
    companies: Any  # faust topics; typed loosely because faust's typing is incomplete
    keys: Any
    replies: Any


def register_registry(kit: WorkerKit) -> None:
    commands = kit.topic(COMPANY_COMMANDS)
    outputs = RegistryOutputs(
        companies=kit.topic(COMPANIES), keys=kit.topic(API_KEYS), replies=kit.topic(COMMAND_REPLIES)
    )
    registrations = kit.table("registry-companies")

    @kit.app.agent(commands, name="registry")
    async def registry(stream: Any) -> None:
        async for value in stream:
            await process_registry_command(value, registrations, outputs)


async def process_registry_command(
    raw: bytes, registrations: Any, outputs: RegistryOutputs
) -> None:
    """Apply one command: store the registration, emit changed records, then the reply."""
    try:
        command = decode_registry_command(raw)
        key = command.company_id.encode()
        stored = registrations.get(key)
        current = decode_registration(stored) if stored is not None else None
    except messages.MessageError as exc:
        log.warning("skipping undecodable registry command or state: %s", exc)
        return
    try:
        outcome = apply_registry_command(current, command)
    except DomainError as error:
        if command.request_id:  # key-use reports expect no answer, refused or not
            reply = CommandReply(command.request_id, CommandError.from_domain(error))
            await outputs.replies.send(key=key, value=encode_reply(reply))
        return
    if outcome.registration != current:
        registrations[key] = encode_registration(outcome.registration)
    await _emit(key, outcome, outputs)
    if command.request_id:
        reply = CommandReply(command.request_id, payload=reply_payload(outcome))
        await outputs.replies.send(key=key, value=encode_reply(reply))


async def _emit(key: bytes, outcome: RegistryOutcome, outputs: RegistryOutputs) -> None:
    # Company first: an API node that sees a key also knows its company (almost always).
    if outcome.company_changed:
        await outputs.companies.send(key=key, value=encode_company(outcome.registration.company))
    for api_key in outcome.changed_keys:
        encoded = messages.encode_api_key(api_key)
        await outputs.keys.send(key=api_key.key_hash.encode(), value=encoded)


def reply_payload(outcome: RegistryOutcome) -> dict[str, Any]:
    return {
        "company": company_to_dict(outcome.registration.company),
        "key": messages.api_key_to_dict(outcome.key) if outcome.key else None,
    }
