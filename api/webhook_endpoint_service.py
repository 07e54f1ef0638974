"""Use cases behind the partner's webhook endpoint routes: set, read, delete, rotate the secret.

The endpoint lives on the company record; every change is a registry command (the one writer
of companies). The signing secret is made here, sealed by the vault before it leaves this
process, and shown to the partner in the answer to PUT and rotate-secret only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from domain.audit import ActorKind, AuditEvent, AuditTrail
from domain.companies import ApiKey, Company, KeyMode
from domain.errors import NotFound
from domain.registry import RegistryCommand, RegistryResult, SetWebhookEndpoint
from domain.webhook_endpoints import check_event_types, check_webhook_url, new_webhook_secret
from domain.webhooks import WebhookEndpoint, WebhookEventType


class CompanySource(Protocol):
    def get(self, company_id: str) -> Company | None: ...


class RegistryPort(Protocol):
    async def submit(self, command: RegistryCommand) -> RegistryResult: ...


class SecretSealer(Protocol):
    def seal(self, secret: str) -> str: ...

    def reveal(self, ciphertext: str) -> str: ...


@dataclass(frozen=True, slots=True)
class PartnerCall:
    """Who is calling and as which request: what a change and its audit event need."""

    key: ApiKey
    request_id: str
    ip: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # "whsec_…", in clear: for the answer to the partner only
    created: bool


class WebhookEndpoints:
    def __init__(
        self,
        companies: CompanySource,
        registry: RegistryPort,
        vault: SecretSealer,
        audit: AuditTrail,
        new_secret: Callable[[], str] = new_webhook_secret,
    ) -> None:
        self._companies = companies
        self._registry = registry
        self._vault = vault
        self._audit = audit
        self._new_secret = new_secret

    def get(self, company_id: str) -> WebhookEndpoint:
        endpoint = self._current(company_id)
        if endpoint is None:
            raise NotFound("No webhook endpoint is set: PUT /v1/webhook-endpoint sets one.")
        return endpoint

    async def put(
        self, call: PartnerCall, url: str, event_types: tuple[WebhookEventType, ...]
    ) -> EndpointWithSecret:
        """Sets the endpoint. A new one gets a new secret; a changed one keeps its secret (so
        deliveries stay verifiable), which is shown again: rotate-secret makes a new one."""
        url = check_webhook_url(url, allow_http=call.key.mode is KeyMode.TEST)
        current = self._current(call.key.company_id)
        if current is None:
            secret = self._new_secret()
            sealed = self._vault.seal(secret)
        else:
            secret, sealed = self._vault.reveal(current.secret_ciphertext), current.secret_ciphertext
        endpoint = WebhookEndpoint(url, check_event_types(event_types), sealed, call.at)
        if current is not None and replace(current, updated_at=call.at) == endpoint:
            return EndpointWithSecret(current, secret, False)  # the same again: nothing changes
        stored = await self._set(call, endpoint)
        # The query is left out: partners sometimes put a token of their own there.
        details = {"url": url.split("?", 1)[0], "event_types": [t.value for t in endpoint.event_types]}
        await self._record(call, "webhook_endpoint.set", details)
        return EndpointWithSecret(stored or endpoint, secret, current is None)

    async def rotate_secret(self, call: PartnerCall) -> EndpointWithSecret:
        current = self.get(call.key.company_id)
        secret = self._new_secret()
        endpoint = replace(current, secret_ciphertext=self._vault.seal(secret), updated_at=call.at)
        stored = await self._set(call, endpoint)
        await self._record(call, "webhook_endpoint.rotate_secret", {})
        return EndpointWithSecret(stored or endpoint, secret, False)

    async def delete(self, call: PartnerCall) -> None:
        self.get(call.key.company_id)
        await self._set(call, None)
        await self._record(call, "webhook_endpoint.delete", {})

    def _current(self, company_id: str) -> WebhookEndpoint | None:
        company = self._companies.get(company_id)
        return company.webhook if company is not None else None

    async def _set(self, call: PartnerCall, endpoint: WebhookEndpoint | None) -> WebhookEndpoint | None:
        command = SetWebhookEndpoint(call.request_id, call.key.company_id, endpoint, call.at)
        return (await self._registry.submit(command)).company.webhook

    async def _record(self, call: PartnerCall, action: str, details: dict[str, object]) -> None:
        await self._audit.record(
            AuditEvent(
                event_id=f"{call.request_id}:{action}", at=call.at, actor_kind=ActorKind.API_KEY,
                actor_id=call.key.key_prefix, company_id=call.key.company_id, action=action,
                target=call.key.company_id, request_id=call.request_id, ip=call.ip,
                details=dict(details),
            )
        )  # fmt: skip

