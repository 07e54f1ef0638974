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
    SetCompanyStatus,
)
from streams.messages import MessageError, api_key_from_dict, api_key_to_dict, dumps, loads

_BAD = (KeyError, TypeError, ValueError, AttributeError)


def _profile_to_dict(p: CompanyProfile) -> dict[str, Any]:
    d = asdict(p)
    d["ip_allowlist"] = list(p.ip_allowlist)
    return d


def _profile_from_dict(d: dict[str, Any]) -> CompanyProfile:
    return CompanyProfile(**{**d, "ip_allowlist": tuple(d.get("ip_allowlist") or ())})


def company_to_dict(c: Company) -> dict[str, Any]:
    return {
        "id": c.id,
        "profile": _profile_to_dict(c.profile),
        "status": c.status.value,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "version": c.version,
    }


def company_from_dict(d: dict[str, Any]) -> Company:
    try:
        return Company(
            d["id"],
            _profile_from_dict(d["profile"]),
            CompanyStatus(d["status"]),
            datetime.fromisoformat(d["created_at"]),
            datetime.fromisoformat(d["updated_at"]),
            int(d["version"]),
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
    except _BAD as exc:
        raise MessageError(f"bad registry command: {exc!r}") from exc
    raise MessageError(f"unknown registry command type {kind!r}")
