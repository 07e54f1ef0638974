"""Use cases behind the staff company and API-key routes. Ports come in as arguments.

Reads come from this node's replicas; every change is a command to the registry agent (the
one writer), and is recorded in the audit trail once the registry has accepted it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from domain.audit import AuditTrail
from domain.companies import (
    ApiKey,
    Company,
    CompanyProfile,
    CompanyStatus,
    KeyMode,
    hash_api_key,
    new_api_key,
    new_company_id,
)
from domain.errors import NotFound
from domain.registry import (
    CreateApiKey,
    CreateCompany,
    EditCompany,
    RegistryCommand,
    RegistryResult,
    RevokeApiKey,
    SetCompanyStatus,
)
from domain.staff import StaffActor

KEY_PREFIX_LENGTH = 12  # "qk_test_" plus four characters: enough to tell a company's keys apart


class CompanyReader(Protocol):
    def get(self, company_id: str) -> Company | None: ...

    def all(self) -> list[Company]: ...


class CompanyKeys(Protocol):
    def for_company(self, company_id: str) -> list[ApiKey]: ...


class RegistryPort(Protocol):
    async def submit(self, command: RegistryCommand) -> RegistryResult:
        """Raises a DomainError when the registry refuses or does not answer."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown to the caller once, never stored


class CompanyAdmin:
    def __init__(
        self,
        companies: CompanyReader,
        keys: CompanyKeys,
        registry: RegistryPort,
        audit: AuditTrail,
        new_id: Callable[[], str] = new_company_id,
        new_secret: Callable[[KeyMode], str] = new_api_key,
    ) -> None:
        self._companies = companies
        self._keys = keys
        self._registry = registry
        self._audit = audit
        self._new_id = new_id
        self._new_secret = new_secret

    def list(self, status: CompanyStatus | None = None, search: str = "") -> list[Company]:
        """`search`: the exact id, or a part of the name or legal name (any case)."""
        return [
            c for c in self._companies.all()
            if (status is None or c.status is status) and (not search or _matches(c, search))
        ]  # fmt: skip

    def get(self, company_id: str) -> Company:
        company = self._companies.get(company_id)
        if company is None:
            raise NotFound(f"no company {company_id}")
        return company

    async def create(self, actor: StaffActor, profile: CompanyProfile) -> Company:
        company_id = self._new_id()
        result = await self._registry.submit(
            CreateCompany(actor.request_id, company_id, profile, actor.at)
        )
        await self._audit.record(
            actor.audit("company.create", company_id, company_id, {"name": profile.name})
        )
        return result.company

    async def edit(self, actor: StaffActor, company_id: str, changes: Mapping[str, Any]) -> Company:
        self.get(company_id)
        result = await self._registry.submit(
            EditCompany(actor.request_id, company_id, dict(changes), actor.at)
        )
        await self._audit.record(
            actor.audit("company.update", company_id, company_id, {"changes": dict(changes)})
        )
        return result.company

    async def set_status(
        self, actor: StaffActor, company_id: str, status: CompanyStatus
    ) -> Company:
        self.get(company_id)
        result = await self._registry.submit(
            SetCompanyStatus(actor.request_id, company_id, status, actor.at)
        )
        action = "company.reactivate" if status is CompanyStatus.ACTIVE else "company.deactivate"
        await self._audit.record(actor.audit(action, company_id, company_id))
        return result.company

    def keys(self, company_id: str) -> list[ApiKey]:
        self.get(company_id)
        return sorted(
            self._keys.for_company(company_id),
            key=lambda k: (k.created_at is None, k.created_at, k.key_prefix),
        )

    async def create_key(self, actor: StaffActor, company_id: str, mode: KeyMode) -> CreatedKey:
        self.get(company_id)
        taken = {k.key_prefix for k in self._keys.for_company(company_id)}
        secret = self._new_secret(mode)
        while secret[:KEY_PREFIX_LENGTH] in taken:  # prefixes name keys in the UI and in URLs
            secret = self._new_secret(mode)
        prefix = secret[:KEY_PREFIX_LENGTH]
        result = await self._registry.submit(
            CreateApiKey(actor.request_id, company_id, hash_api_key(secret), prefix, mode, actor.at)
        )
        assert result.key is not None
        await self._audit.record(
            actor.audit("api_key.create", prefix, company_id, {"mode": mode.value})
        )
        return CreatedKey(result.key, secret)

    async def revoke_key(self, actor: StaffActor, company_id: str, prefix: str) -> ApiKey:
        self.get(company_id)
        if not any(k.key_prefix == prefix for k in self._keys.for_company(company_id)):
            raise NotFound(f"no API key {prefix} for company {company_id}")
        result = await self._registry.submit(
            RevokeApiKey(actor.request_id, company_id, prefix, actor.at)
        )
        assert result.key is not None
        await self._audit.record(actor.audit("api_key.revoke", prefix, company_id))
        return result.key


def _matches(company: Company, search: str) -> bool:
    needle = search.casefold()
    profile = company.profile
    return company.id == search or needle in profile.name.casefold() or needle in profile.legal_name.casefold()
