"""Block and allow list entries: one identifier, global or for one company, optionally expiring.

Values are normalised on creation, so an entry matches however the identifier was written:
phones lose spaces, dashes, dots and parentheses; IPs take their canonical form
(`ipaddress`); BINs are 6 to 8 digits; other kinds are kept as given (end user ids, card
tokens and device ids are opaque).
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.orders import Order, RecipientKind


class ListEntryError(ValueError):
    """A list entry that cannot be accepted."""


class ListKind(str, enum.Enum):
    END_USER = "end_user"
    CARD_TOKEN = "card_token"
    BIN = "bin"
    PHONE = "phone"
    DEVICE = "device"
    IP = "ip"


class ListVerdict(str, enum.Enum):
    BLOCK = "block"
    ALLOW = "allow"


_BIN = re.compile(r"^[0-9]{6,8}$")
_PHONE_NOISE = re.compile(r"[\s\-.()]")
_PHONE = re.compile(r"^\+?[0-9]{4,15}$")
MAX_VALUE = 256


def normalize(kind: ListKind, value: str) -> str:
    """The form entries are stored and looked up in; raises ListEntryError if invalid."""
    if not isinstance(value, str) or not value.strip():
        raise ListEntryError(f"a {kind.value} entry needs a non-empty value")
    value = value.strip()
    if len(value) > MAX_VALUE:
        raise ListEntryError(f"a {kind.value} value is longer than {MAX_VALUE} characters")
    if kind is ListKind.BIN:
        if not _BIN.match(value):
            raise ListEntryError(f"a BIN is 6 to 8 digits, not {value!r}")
    elif kind is ListKind.PHONE:
        value = _PHONE_NOISE.sub("", value)
        if not _PHONE.match(value):
            raise ListEntryError(f"{value!r} is not a phone number")
    elif kind is ListKind.IP:
        try:
            value = ipaddress.ip_address(value).compressed
        except ValueError:
            raise ListEntryError(f"{value!r} is not an IP address") from None
    return value


@dataclass(frozen=True, slots=True)
class ListEntry:
    kind: ListKind
    value: str  # normalised (see `normalize`); build entries with `ListEntry.create`
    verdict: ListVerdict
    scope: str | None  # a company id, or None for every company
    reason: str
    added_by: str  # staff user, or the detector that added it
    created_at: datetime  # timezone-aware
    expires_at: datetime | None = None  # timezone-aware; None = until removed

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ListKind) or not isinstance(self.verdict, ListVerdict):
            raise ListEntryError("kind and verdict must be a ListKind and a ListVerdict")
        if normalize(self.kind, self.value) != self.value:
            raise ListEntryError(f"value {self.value!r} is not normalised: use ListEntry.create")
        if self.scope is not None and (not isinstance(self.scope, str) or not self.scope.strip()):
            raise ListEntryError("scope must be a company id or None (global)")
        if not isinstance(self.reason, str) or not isinstance(self.added_by, str) or not self.added_by:
            raise ListEntryError("reason must be a string and added_by a non-empty string")
        for name, at in (("created_at", self.created_at), ("expires_at", self.expires_at)):
            if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
                raise ListEntryError(f"{name} must be a timezone-aware datetime")
        if self.expires_at is not None and self.expires_at <= self.created_at:
            raise ListEntryError("expires_at must be after created_at")

    @classmethod
    def create(
        cls, kind: ListKind, value: str, verdict: ListVerdict, scope: str | None, reason: str,
        added_by: str, created_at: datetime, expires_at: datetime | None = None,
    ) -> ListEntry:  # fmt: skip
        return cls(kind, normalize(kind, value), verdict, scope, reason, added_by, created_at, expires_at)

    @property
    def key(self) -> str:
        """The entry's identity (and compacted-topic key): kind, scope and value."""
        return entry_key(self.kind, self.value, self.scope)

    def active(self, at: datetime) -> bool:
        return self.expires_at is None or at < self.expires_at

    def describe(self) -> str:
        """ "card_token blocked (global)", "end_user allowed (company c_1)"."""
        verdict = "blocked" if self.verdict is ListVerdict.BLOCK else "allowed"
        scope = "global" if self.scope is None else f"company {self.scope}"
        return f"{self.kind.value} {verdict} ({scope})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "value": self.value,
            "verdict": self.verdict.value,
            "scope": self.scope,
            "reason": self.reason,
            "added_by": self.added_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ListEntry:
        if not isinstance(data, dict):
            raise ListEntryError(f"a list entry must be a JSON object, not {type(data).__name__}")
        fields = {"kind", "value", "verdict", "scope", "reason", "added_by", "created_at", "expires_at"}
        unknown = set(data) - fields
        if unknown:
            raise ListEntryError(f"unknown fields {sorted(unknown)}")
        missing = {"kind", "value", "verdict", "added_by", "created_at"} - set(data)
        if missing:
            raise ListEntryError(f"missing fields {sorted(missing)}")
        try:
            kind, verdict = ListKind(data["kind"]), ListVerdict(data["verdict"])
        except ValueError as e:
            raise ListEntryError(str(e)) from None
        expires = data.get("expires_at")
        return cls.create(
            kind, data["value"], verdict, data.get("scope"), data.get("reason", ""), data["added_by"],
            _timestamp(data["created_at"], "created_at"),
            None if expires is None else _timestamp(expires, "expires_at"),
        )  # fmt: skip


def entry_key(kind: ListKind, value: str, scope: str | None) -> str:
    """Injective: a JSON array of kind, scope (null = global) and the normalised value."""
    return json.dumps([kind.value, scope, normalize(kind, value)], separators=(",", ":"))


def _timestamp(text: Any, name: str) -> datetime:
    if not isinstance(text, str):
        raise ListEntryError(f"{name} must be an ISO-8601 string")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ListEntryError(f"{name} {text!r} is not ISO-8601") from None
    if at.tzinfo is None:
        raise ListEntryError(f"{name} {text!r} has no timezone")
    return at


@dataclass(frozen=True, slots=True)
class OrderIdentifiers:
    """What of an order the lists look at; None when the order has no such identifier."""

    end_user: str | None = None
    card_token: str | None = None
    bin: str | None = None
    phone: str | None = None
    device: str | None = None
    ip: str | None = None


def identifiers_for(order: Order) -> OrderIdentifiers:
    r, u = order.recipient, order.end_user
    card = r.kind is RecipientKind.CARD
    return OrderIdentifiers(
        end_user=u.id,
        card_token=r.card_token if card else None,
        bin=r.card_bin if card else None,
        phone=r.phone if r.kind is RecipientKind.PHONE else None,
        device=u.device_id,
        ip=u.ip,
    )
