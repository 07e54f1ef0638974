"""Request-scoped dependencies: the services, the caller's API key, protocol headers.

All are `async def`: FastAPI would run plain functions in a thread pool, one hop each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fastapi import Request

from api import errors
from api.balance_service import BalanceService
from api.batch_service import BatchService
from api.catalog_service import PartnerCatalog
from api.fraud_report_service import PartnerFraudReports
from api.order_service import OrderService
from api.rate_limit import EdgeRateLimits
from api.staff.services import StaffServices
from api.webhook_endpoint_service import WebhookEndpoints
from domain.audit import AuditTrail
from domain.cards import contains_card_number
from domain.companies import ApiKey, Company, hash_api_key

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,3}(?:\.\d{1,3})?)\"?", re.IGNORECASE)
_KEY_SHAPE = re.compile(r"^qk_(test|live)_[A-Za-z0-9_\-]{20,100}$")


class KeyLookup(Protocol):
    def lookup(self, key_hash: str) -> ApiKey | None: ...


class CompanyLookup(Protocol):
    def get(self, company_id: str) -> Company | None: ...


class KeyUseRecorder(Protocol):
    def touch(self, key: ApiKey, at: datetime) -> None:
        """Remember the use in memory; reported to the registry later, off the request path."""


@dataclass(frozen=True, slots=True)
class ApiServices:
    orders: OrderService
    keys: KeyLookup
    audit: AuditTrail  # every staff action is recorded here; API-key uses by EdgeMiddleware
    companies: CompanyLookup
    key_uses: KeyUseRecorder
    staff: StaffServices
    balances: BalanceService
    catalog: PartnerCatalog  # the products each company may order (also used by orders)
    webhooks: WebhookEndpoints
    fraud_reports: PartnerFraudReports | None = None  # GET /v1/fraud-reports; None: not served here
    batches: BatchService | None = None  # mass payouts, /v1/batches; None: not served here


def services(request: Request) -> ApiServices:
    return request.app.state.services  # type: ignore[no-any-return]


async def authenticate(request: Request) -> ApiKey:
    """The caller's API key, within its rate limit. Refusals (bad or unknown key, inactive
    company, address off the allowlist) count against the caller's network, so a flood of them
    is cut off cheaply and never uses up the key's own budget; accepted requests count against
    the key."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _refused(request, errors.unauthorized("Send Authorization: Bearer <api key>."))
    if scheme.lower() != "bearer" or not _KEY_SHAPE.match(token.strip()):
        raise _refused(request, errors.unauthorized("Authorization must be 'Bearer qk_test_…' or 'Bearer qk_live_…'."))
    key = services(request).keys.lookup(hash_api_key(token.strip()))
    if key is None:
        raise _refused(request, errors.unauthorized("Unknown or revoked API key."))
    request.state.company_id = key.company_id
    request.state.key_prefix = key.key_prefix  # EdgeMiddleware records the key's use
    company = services(request).companies.get(key.company_id)
    if company is None or not company.active:  # unknown: fail closed
        raise _refused(request, errors.company_inactive())
    client_ip = _client_ip(request)
    if not company.admits_ip(client_ip):
        raise _refused(request, errors.ip_not_allowed(client_ip))
    verdict = rate_limits(request).for_key(key.key_hash)
    request.state.rate_limit_headers = verdict.headers()  # EdgeMiddleware sends them
    if not verdict.allowed:
        raise errors.rate_limited(verdict.retry_after_s, "This API key's request rate limit is used up.")
    services(request).key_uses.touch(key, request.state.received_at)
    return key


def rate_limits(request: Request) -> EdgeRateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _refused(request: Request, problem: errors.Problem) -> errors.Problem:
    """`problem`, or 429 once the caller's network has been refused too often."""
    verdict = rate_limits(request).for_failed_auth(_client_ip(request))
    request.state.rate_limit_headers = verdict.headers()
    if not verdict.allowed:
        return errors.rate_limited(verdict.retry_after_s, "Too many refused authentications from your network.")
    return problem


async def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise errors.unsupported_media_type(media)


async def idempotency_key(request: Request) -> str:
    value = request.headers.get("idempotency-key")
    if value is None:
        raise errors.missing_header(
            "Idempotency-Key", "POST /v1/orders needs an Idempotency-Key so retries are safe."
        )
    if not _IDEMPOTENCY_KEY.match(value):
        raise errors.bad_header("Idempotency-Key", "1-255 printable ASCII characters, no spaces.")
    if contains_card_number(value):  # it is stored and logged: never a card number
        raise errors.bad_header("Idempotency-Key", "it looks like a card number; use a random id.")
    return value


async def prefer_wait(request: Request) -> float | None:
    """RFC 7240 `Prefer: wait=N`; a preference we cannot read is ignored, as the RFC says."""
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return float(match.group(1)) if match else None
