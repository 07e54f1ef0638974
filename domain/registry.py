"""The company registry's commands and how one company's registration changes under them.

One writer (the registry agent, on the company's partition) applies them in order. Each
registration remembers the ids of its recently applied commands, so a redelivered command is
recognized: nothing changes twice, and its outputs are simply emitted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.catalog import CompanyProduct, check_company_catalog
from domain.companies import (
    COMPANY_ID,
    PROFILE_FIELDS,
    ApiKey,
    Company,
    CompanyProfile,
    CompanyStatus,
    KeyMode,
)
from domain.errors import Conflict, InvalidCommand, NotFound
from domain.webhook_endpoints import check_event_types, check_webhook_url
from domain.webhooks import WebhookEndpoint

REMEMBERED_COMMANDS = 64  # far more than one company receives between two offset commits
MAX_ACTIVE_KEYS = 20


@dataclass(frozen=True, slots=True)
class CreateCompany:
    request_id: str
    company_id: str
    profile: CompanyProfile
    at: datetime


@dataclass(frozen=True, slots=True)
class EditCompany:
    request_id: str
    company_id: str
    changes: Mapping[str, Any]  # profile field -> new value
    at: datetime


@dataclass(frozen=True, slots=True)
class SetCompanyStatus:
    request_id: str
    company_id: str
    status: CompanyStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    request_id: str
    company_id: str
    key_hash: str  # the secret itself never leaves the API node that made it
    key_prefix: str
    mode: KeyMode
    at: datetime


@dataclass(frozen=True, slots=True)
class RevokeApiKey:
    request_id: str
    company_id: str
    key_prefix: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordKeyUse:
    """From API nodes, at most once a minute per key each; nobody awaits a reply."""

    company_id: str
    key_hash: str
    at: datetime
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class SetCompanyCatalog:
    """The products enabled for the company, replacing the previous list. That the products
    exist is checked by the sender against the product catalog (the registry does not hold it)."""

    request_id: str
    company_id: str
    products: tuple[CompanyProduct, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class SetWebhookEndpoint:
    """Where the company's webhooks go (None: nowhere). Whether plain http is allowed depends
    on the sender's API key, so the sender checks the scheme; the registry checks the rest."""

    request_id: str
    company_id: str
    endpoint: WebhookEndpoint | None
    at: datetime


RegistryCommand = (
    CreateCompany | EditCompany | SetCompanyStatus | CreateApiKey | RevokeApiKey | RecordKeyUse
    | SetCompanyCatalog | SetWebhookEndpoint
)


@dataclass(frozen=True, slots=True)
class Registration:
    """Everything the registry holds about one company."""

    company: Company
    keys: tuple[ApiKey, ...] = ()
    applied: tuple[str, ...] = ()  # ids of the last REMEMBERED_COMMANDS commands applied

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        return next((k for k in self.keys if k.key_prefix == prefix), None)


@dataclass(frozen=True, slots=True)
class RegistryResult:
    """What a caller learns when the registry accepted its command."""

    company: Company
    key: ApiKey | None  # the key a key command was about


@dataclass(frozen=True, slots=True)
class RegistryOutcome:
    registration: Registration
    company_changed: bool  # emit the company record
    changed_keys: tuple[ApiKey, ...]  # emit these key records
    key: ApiKey | None = None  # the key a key command was about


def apply_registry_command(
    current: Registration | None, command: RegistryCommand
) -> RegistryOutcome:
    """Raises a DomainError when the command is refused; then nothing changes."""
    if current is not None and command.request_id and command.request_id in current.applied:
        return _replayed(current, command)
    if isinstance(command, CreateCompany):
        return _create(current, command)
    if current is None:
        raise NotFound(f"no company {command.company_id}")
    if isinstance(command, RecordKeyUse):
        return _key_used(current, command)
    if isinstance(command, EditCompany):
        outcome = _edit(current, command)
    elif isinstance(command, SetCompanyStatus):
        outcome = _set_status(current, command)
    elif isinstance(command, CreateApiKey):
        outcome = _create_key(current, command)
    elif isinstance(command, SetCompanyCatalog):
        outcome = _set_catalog(current, command)
    elif isinstance(command, SetWebhookEndpoint):
        outcome = _set_webhook(current, command)
    else:
        outcome = _revoke_key(current, command)
    applied = (*outcome.registration.applied, command.request_id)[-REMEMBERED_COMMANDS:]
    return replace(outcome, registration=replace(outcome.registration, applied=applied))


def _replayed(current: Registration, command: RegistryCommand) -> RegistryOutcome:
    key = None
    if isinstance(command, CreateApiKey):
        key = next((k for k in current.keys if k.key_hash == command.key_hash), None)
    elif isinstance(command, RevokeApiKey):
        key = current.key_by_prefix(command.key_prefix)
    # Outputs of the first attempt may not all have reached Kafka: emit them again.
    return RegistryOutcome(current, True, current.keys, key)


def _create(current: Registration | None, command: CreateCompany) -> RegistryOutcome:
    if current is not None:
        raise Conflict(f"company {command.company_id} already exists")
    if not COMPANY_ID.match(command.company_id):
        raise InvalidCommand("company id must look like cmp_…")
    company = Company(
        command.company_id, command.profile.checked(), CompanyStatus.ACTIVE, command.at, command.at
    )
    return RegistryOutcome(Registration(company, (), (command.request_id,)), True, ())


def _edit(current: Registration, command: EditCompany) -> RegistryOutcome:
    unknown = set(command.changes) - PROFILE_FIELDS
    if unknown or not command.changes:
        raise InvalidCommand(f"cannot edit {sorted(unknown) or 'nothing'}")
    changes = dict(command.changes)
    if "ip_allowlist" in changes:
        changes["ip_allowlist"] = tuple(changes["ip_allowlist"])
    profile = replace(current.company.profile, **changes).checked()
    if profile == current.company.profile:
        return RegistryOutcome(current, False, ())
    company = _touch(replace(current.company, profile=profile), command.at)
    keys = current.keys
    if profile.name != current.company.profile.name:
        keys = tuple(_key_change(k, company_name=profile.name) for k in keys)
    changed = tuple(k for k in keys if k not in current.keys)
    return RegistryOutcome(replace(current, company=company, keys=keys), True, changed)


def _set_status(current: Registration, command: SetCompanyStatus) -> RegistryOutcome:
    if current.company.status is command.status:  # a no-op, so a retried click is harmless
        return RegistryOutcome(current, False, ())
    company = _touch(replace(current.company, status=command.status), command.at)
    return RegistryOutcome(replace(current, company=company), True, ())


def _set_catalog(current: Registration, command: SetCompanyCatalog) -> RegistryOutcome:
    products = check_company_catalog(tuple(command.products))
    if products == current.company.catalog:
        return RegistryOutcome(current, False, ())
    company = _touch(replace(current.company, catalog=products), command.at)
    return RegistryOutcome(replace(current, company=company), True, ())


def _set_webhook(current: Registration, command: SetWebhookEndpoint) -> RegistryOutcome:
    endpoint = command.endpoint
    if endpoint is not None:
        check_webhook_url(endpoint.url, allow_http=True)
        endpoint = replace(endpoint, event_types=check_event_types(endpoint.event_types))
        if not endpoint.secret_ciphertext:
            raise InvalidCommand("a webhook endpoint needs a sealed signing secret")
    if endpoint == current.company.webhook:
        return RegistryOutcome(current, False, ())
    company = _touch(replace(current.company, webhook=endpoint), command.at)
    return RegistryOutcome(replace(current, company=company), True, ())


def _create_key(current: Registration, command: CreateApiKey) -> RegistryOutcome:
    if any(k.key_hash == command.key_hash for k in current.keys):
        raise Conflict("this API key already exists")
    if current.key_by_prefix(command.key_prefix) is not None:
        raise Conflict("an API key with this prefix already exists: create another")
    if sum(not k.revoked for k in current.keys) >= MAX_ACTIVE_KEYS:
        raise Conflict(f"a company holds at most {MAX_ACTIVE_KEYS} active keys: revoke one first")
    key = ApiKey(
        command.key_hash, command.key_prefix, current.company.id, current.company.profile.name,
        command.mode, created_at=command.at, version=1,
    )  # fmt: skip
    return RegistryOutcome(replace(current, keys=(*current.keys, key)), False, (key,), key)


def _revoke_key(current: Registration, command: RevokeApiKey) -> RegistryOutcome:
    key = current.key_by_prefix(command.key_prefix)
    if key is None:
        raise NotFound(f"no API key {command.key_prefix} for company {current.company.id}")
    if key.revoked:
        return RegistryOutcome(current, False, (), key)
    revoked = _key_change(key, revoked=True, revoked_at=command.at)
    keys = tuple(revoked if k is key else k for k in current.keys)
    return RegistryOutcome(replace(current, keys=keys), False, (revoked,), revoked)


def _key_used(current: Registration, command: RecordKeyUse) -> RegistryOutcome:
    key = next((k for k in current.keys if k.key_hash == command.key_hash), None)
    if key is None or (key.last_used_at is not None and key.last_used_at >= command.at):
        return RegistryOutcome(current, False, ())  # reports may arrive late or out of order
    used = _key_change(key, last_used_at=command.at)
    keys = tuple(used if k is key else k for k in current.keys)
    return RegistryOutcome(replace(current, keys=keys), False, (used,), used)


def _touch(company: Company, at: datetime) -> Company:
    return replace(company, updated_at=at, version=company.version + 1)


def _key_change(key: ApiKey, **changes: Any) -> ApiKey:
    return replace(key, version=key.version + 1, **changes)
