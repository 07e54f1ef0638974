"""Wire format of the company registry: company records, registrations (the agent's state)
and registry commands. Same conventions as streams.messages (versioned JSON, ISO 8601 UTC)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from domain.companies import Company, CompanyProfile, CompanyStatus, KeyMode
from domain.registry import (
    CreateApiKey,
    CreateCompany,
    EditCompany,
    RecordKeyUse,
    RegistryCommand,
    Registration,
    RevokeApiKey,
    SetCompanyCatalog,
    SetCompanyStatus,
    SetWebhookEndpoint,
)
from domain.webhooks import WebhookEndpoint, WebhookEventType
from streams.catalog_messages import company_product_from_dict, company_product_to_dict
from streams.messages import MessageError, api_key_from_dict, api_key_to_dict, dumps, loads

_BAD = (KeyError, TypeError, ValueError, AttributeError)


def _profile_to_dict(p: CompanyProfile) -> dict[str, Any]:
    d = asdict(p)
    d["ip_allowlist"] = list(p.ip_allowlist)
    return d


def _profile_from_dict(d: dict[str, Any]) -> CompanyProfile:
    return CompanyProfile(**{**d, "ip_allowlist": tuple(d.get("ip_allowlist") or ())})


def webhook_to_dict(w: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": w.url,
        "event_types": [t.value for t in w.event_types],
        "secret_ciphertext": w.secret_ciphertext,  # sealed by the vault: never the secret
        "updated_at": w.updated_at.isoformat(),
        "enabled": w.enabled,
    }


def webhook_from_dict(d: dict[str, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(
        str(d["url"]), tuple(WebhookEventType(t) for t in d["event_types"]),
        str(d["secret_ciphertext"]), datetime.fromisoformat(d["updated_at"]), bool(d["enabled"]),
    )  # fmt: skip


def company_to_dict(c: Company) -> dict[str, Any]:
    return {
        "id": c.id,
        "profile": _profile_to_dict(c.profile),
        "status": c.status.value,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "version": c.version,
        "catalog": [company_product_to_dict(p) for p in c.catalog],
        "webhook": webhook_to_dict(c.webhook) if c.webhook is not None else None,
    }


def company_from_dict(d: dict[str, Any]) -> Company:
    try:
        webhook = d.get("webhook")  # absent on records older than webhooks and catalogs
        return Company(
            d["id"],
            _profile_from_dict(d["profile"]),
            CompanyStatus(d["status"]),
            datetime.fromisoformat(d["created_at"]),
            datetime.fromisoformat(d["updated_at"]),
            int(d["version"]),
            tuple(company_product_from_dict(p) for p in d.get("catalog") or ()),
            webhook_from_dict(webhook) if webhook is not None else None,
        )
    except _BAD as exc:
        raise MessageError(f"bad company record: {exc!r}") from exc


def encode_company(c: Company) -> bytes:
    return dumps(company_to_dict(c))


def decode_company(raw: bytes | None) -> Company:
    return company_from_dict(loads(raw))


def encode_registration(r: Registration) -> bytes:
    return dumps(
        {
            "company": company_to_dict(r.company),
            "keys": [api_key_to_dict(k) for k in r.keys],
            "applied": list(r.applied),
        }
    )


def decode_registration(raw: bytes | None) -> Registration:
    d = loads(raw)
    try:
        return Registration(
            company_from_dict(d["company"]),
            tuple(api_key_from_dict(k) for k in d["keys"]),
            tuple(str(a) for a in d["applied"]),
        )
    except _BAD as exc:
        raise MessageError(f"bad registration: {exc!r}") from exc


def encode_registry_command(c: RegistryCommand) -> bytes:
    base = {"request_id": c.request_id, "company_id": c.company_id, "at": c.at.isoformat()}
    if isinstance(c, CreateCompany):
        return dumps({**base, "type": "create_company", "profile": _profile_to_dict(c.profile)})
    if isinstance(c, EditCompany):
        changes = {k: list(v) if isinstance(v, tuple) else v for k, v in c.changes.items()}
        return dumps({**base, "type": "edit_company", "changes": changes})
    if isinstance(c, SetCompanyStatus):
        return dumps({**base, "type": "set_company_status", "status": c.status.value})
    if isinstance(c, CreateApiKey):
        return dumps({**base, "type": "create_api_key", "key_hash": c.key_hash,
                      "key_prefix": c.key_prefix, "mode": c.mode.value})  # fmt: skip
    if isinstance(c, RevokeApiKey):
        return dumps({**base, "type": "revoke_api_key", "key_prefix": c.key_prefix})
    if isinstance(c, SetCompanyCatalog):
        products = [company_product_to_dict(p) for p in c.products]
        return dumps({**base, "type": "set_company_catalog", "products": products})
    if isinstance(c, SetWebhookEndpoint):
        endpoint = webhook_to_dict(c.endpoint) if c.endpoint is not None else None
        return dumps({**base, "type": "set_webhook_endpoint", "endpoint": endpoint})
    return dumps({**base, "type": "record_key_use", "key_hash": c.key_hash})


def decode_registry_command(raw: bytes | None) -> RegistryCommand:
    d = loads(raw)
    try:
        request_id, company_id = str(d["request_id"]), str(d["company_id"])
        at = datetime.fromisoformat(d["at"])
        kind = d["type"]
        if kind == "create_company":
            return CreateCompany(request_id, company_id, _profile_from_dict(d["profile"]), at)
        if kind == "edit_company":
            return EditCompany(request_id, company_id, dict(d["changes"]), at)
        if kind == "set_company_status":
            return SetCompanyStatus(request_id, company_id, CompanyStatus(d["status"]), at)
        if kind == "create_api_key":
            return CreateApiKey(request_id, company_id, str(d["key_hash"]), str(d["key_prefix"]),
                                KeyMode(d["mode"]), at)  # fmt: skip
        if kind == "revoke_api_key":
            return RevokeApiKey(request_id, company_id, str(d["key_prefix"]), at)
        if kind == "record_key_use":
            return RecordKeyUse(company_id, str(d["key_hash"]), at, request_id)
        if kind == "set_company_catalog":
            products = tuple(company_product_from_dict(p) for p in d["products"])
            return SetCompanyCatalog(request_id, company_id, products, at)
        if kind == "set_webhook_endpoint":
            endpoint = d["endpoint"]
            webhook = webhook_from_dict(endpoint) if endpoint is not None else None
            return SetWebhookEndpoint(request_id, company_id, webhook, at)
    except _BAD as exc:
        raise MessageError(f"bad registry command: {exc!r}") from exc
    raise MessageError(f"unknown registry command type {kind!r}")
