"""Companies (partners) and their API keys. Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

import enum
import functools
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass, fields
from datetime import datetime

from domain.catalog import CompanyProduct
from domain.errors import InvalidCommand
from domain.webhooks import WebhookEndpoint


class KeyMode(str, enum.Enum):
    TEST = "test"  # sandbox: providers simulated, no money moves
    LIVE = "live"


class CompanyStatus(str, enum.Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"  # its API keys are refused; nothing is deleted


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_hash: str
    key_prefix: str  # first characters, shown to people to tell keys apart
    company_id: str
    company_name: str
    mode: KeyMode
    revoked: bool = False
    created_at: datetime | None = None  # None on records older than the registry
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # published by API nodes at most once a minute
    version: int = 0  # +1 per change by the registry; replicas keep the highest


def hash_api_key(key: str) -> str:
    # Keys carry 190+ bits of randomness, so a plain fast hash is enough (no password stretching).
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key(mode: KeyMode) -> str:
    return f"qk_{mode.value}_{secrets.token_urlsafe(32)}"


def api_key_record(key: str, company_id: str, company_name: str) -> ApiKey:
    mode = KeyMode.LIVE if key.startswith("qk_live_") else KeyMode.TEST
    return ApiKey(hash_api_key(key), key[:12], company_id, company_name, mode)


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    """What staff enter and edit about a company."""

    name: str
    legal_name: str
    country: str  # ISO 3166-1 alpha-2
    contact_email: str
    notification_email: str  # where low-balance and fraud notices go
    registration_number: str = ""
    address: str = ""
    ip_allowlist: tuple[str, ...] = ()  # CIDRs; empty means any address may call

    def checked(self) -> CompanyProfile:
        """The same profile, normalized; raises InvalidCommand naming the first bad field."""
        return CompanyProfile(
            name=_text("name", self.name, 200, required=True),
            legal_name=_text("legal_name", self.legal_name, 200, required=True),
            country=_country(self.country),
            contact_email=_email("contact_email", self.contact_email),
            notification_email=_email("notification_email", self.notification_email),
            registration_number=_text("registration_number", self.registration_number, 64),
            address=_text("address", self.address, 500),
            ip_allowlist=normalize_allowlist(self.ip_allowlist),
        )


PROFILE_FIELDS = frozenset(f.name for f in fields(CompanyProfile))


@dataclass(frozen=True, slots=True)
class Company:
    id: str
    profile: CompanyProfile
    status: CompanyStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1  # +1 per change; replicas keep the highest
    catalog: tuple[CompanyProduct, ...] = ()  # the products enabled for it, on its own terms
    webhook: WebhookEndpoint | None = None  # where its events go; None: no webhooks

    @property
    def active(self) -> bool:
        return self.status is CompanyStatus.ACTIVE

    def admits_ip(self, ip: str) -> bool:
        """Whether a partner call from `ip` passes the allowlist (an empty list admits all)."""
        if not self.profile.ip_allowlist:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in _network(cidr) for cidr in self.profile.ip_allowlist)


@functools.lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parsed once, not on every partner request (allowlists change rarely)."""
    return ipaddress.ip_network(cidr)


COMPANY_ID = re.compile(r"^cmp_[A-Za-z0-9_]{1,64}$")
MAX_ALLOWLIST = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s\"<>]{1,64}@[A-Za-z0-9.\-]{1,189}\.[A-Za-z]{2,}$")


def new_company_id() -> str:
    return f"cmp_{secrets.token_hex(12)}"


def normalize_allowlist(entries: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """CIDRs (a bare address means just that address), de-duplicated, in their canonical form."""
    if len(entries) > MAX_ALLOWLIST:
        raise InvalidCommand(f"ip_allowlist holds at most {MAX_ALLOWLIST} entries")
    networks: list[str] = []
    for entry in entries:
        try:
            # strict: "10.0.0.5/24" is refused rather than silently widened to 10.0.0.0/24
            network = str(ipaddress.ip_network(entry.strip(), strict=True))
        except ValueError:
            raise InvalidCommand(
                f"ip_allowlist: {entry[:50]!r} is not an IP address or a network like 10.0.0.0/24"
            ) from None
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def _text(field: str, value: str, limit: int, required: bool = False) -> str:
    value = value.strip()
    if len(value) > limit or (required and not value) or _CONTROL.search(value):
        size = f"1-{limit}" if required else f"up to {limit}"
        raise InvalidCommand(f"{field} must be {size} printable characters")
    return value


def _country(value: str) -> str:
    if not _COUNTRY.match(value):
        raise InvalidCommand("country must be an ISO 3166-1 alpha-2 code such as DE")
    return value


def _email(field: str, value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidCommand(f"{field} must look like name@example.com")
    return value
