"""Use cases behind the staff block/allow list routes.

Reads come from this node's replica of `fraud.lists` (a `ListIndex`); writes go to the topic
through a `ListStore` (an entry, or a tombstone for its key) and are applied to the replica
once durable (read-your-writes). A card is listed by its token: staff may paste the card
number instead, which is tokenized with the card vault here and never stored, echoed or
audited. A card number anywhere else (another kind's value, a reason) is refused. Every change
is audited.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from detectors.lists import ListEntry, ListEntryError, ListIndex, ListKind, ListVerdict, entry_key
from domain.audit import AuditTrail
from domain.cards import contains_card_number, normalize_card_number
from domain.companies import Company
from domain.errors import InvalidCommand, NotFound
from domain.staff import StaffActor

MAX_PAGE = 500


class ListStore(Protocol):
    async def put(self, entry: ListEntry) -> None:
        """Durable when it returns."""

    async def remove(self, key: str) -> None:
        """A tombstone for the entry's key; durable when it returns."""


class Tokenizer(Protocol):
    def token_for(self, number: str) -> str: ...


class Companies(Protocol):
    def get(self, company_id: str) -> Company | None: ...


@dataclass(frozen=True, slots=True)
class ListQuery:
    kind: ListKind | None = None
    verdict: ListVerdict | None = None
    global_only: bool = False  # only entries for every company
    company_id: str | None = None  # only this company's entries
    include_expired: bool = False


@dataclass(frozen=True, slots=True)
class NewEntry:
    kind: ListKind
    value: str  # for a card token: the token, or the card number to tokenize
    verdict: ListVerdict
    company_id: str | None
    reason: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class PutResult:
    entry: ListEntry
    created: bool  # False: it replaced the entry with the same kind, scope and value


def entry_id(key: str) -> str:
    """The url-safe form of an entry key, as it appears in `/fraud/lists/{id}`."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def key_of(entry_id_: str) -> str | None:
    """The entry key an id stands for; None when it is not one this API handed out."""
    if len(entry_id_) > 1024:
        return None
    try:
        key = base64.urlsafe_b64decode(entry_id_ + "=" * (-len(entry_id_) % 4)).decode()
        kind, scope, value = json.loads(key)
        if entry_key(ListKind(kind), value, scope) != key:
            return None
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ListEntryError):
        return None
    return key


class ListAdmin:
    def __init__(
        self, index: ListIndex, store: ListStore, vault: Tokenizer, companies: Companies, audit: AuditTrail,
    ) -> None:  # fmt: skip
        self._index = index
        self._store = store
        self._vault = vault
        self._companies = companies
        self._audit = audit

    def entries(self, query: ListQuery, now: datetime, after: str | None, limit: int) -> tuple[list[ListEntry], str | None]:
        """Entries by key; `after`: the last key of the previous page."""
        matching = sorted(
            (e for e in self._index if _matches(e, query, now) and (after is None or e.key > after)),
            key=lambda e: e.key,
        )
        page = matching[: min(limit, MAX_PAGE)]
        more = len(matching) > len(page)
        return page, page[-1].key if more and page else None

    def entry(self, key: str) -> ListEntry:
        found = next((e for e in self._index if e.key == key), None)
        if found is None:
            raise NotFound("no such list entry")
        return found

    async def put(self, actor: StaffActor, new: NewEntry) -> PutResult:
        if contains_card_number(new.reason):
            raise InvalidCommand("the reason looks like it holds a card number: leave it out", "/reason")
        if new.company_id is not None and self._companies.get(new.company_id) is None:
            raise InvalidCommand(f"no company {new.company_id}", "/company_id")
        value, tokenized = self._value(new)
        try:
            entry = ListEntry.create(new.kind, value, new.verdict, new.company_id, new.reason, actor.user.id,
                                     actor.at, new.expires_at)  # fmt: skip
        except ListEntryError as e:
            raise InvalidCommand(str(e), "/expires_at" if "expires_at" in str(e) else "/value") from None
        created = not any(e.key == entry.key for e in self._index)
        await self._store.put(entry)
        self._index.put(entry)
        details = {"kind": entry.kind.value, "value": entry.value, "verdict": entry.verdict.value,
                   "reason": entry.reason, "tokenized": tokenized, "created": created,
                   "expires_at": None if entry.expires_at is None else entry.expires_at.isoformat()}  # fmt: skip
        await self._audit.record(actor.audit("fraud.list.put", entry.key, entry.scope or "", details))
        return PutResult(entry, created)

    def _value(self, new: NewEntry) -> tuple[str, bool]:
        if new.kind is ListKind.CARD_TOKEN:
            number = normalize_card_number(new.value.strip())
            if number is not None:
                return self._vault.token_for(number), True
            if not new.value.strip().startswith("tok_"):
                raise InvalidCommand("a card_token entry takes a card token (tok_…) or a valid card number", "/value")
        elif contains_card_number(new.value):
            # Never echoed in an error: the value is refused before it reaches a message.
            raise InvalidCommand(f"a {new.kind.value} value cannot hold a card number: list the card as "
                                 "kind card_token", "/value")  # fmt: skip
        return new.value, False

    async def remove(self, actor: StaffActor, key: str) -> ListEntry:
        entry = self.entry(key)
        await self._store.remove(key)
        self._index.remove(entry.kind, entry.value, entry.scope)
        details = {"kind": entry.kind.value, "value": entry.value, "verdict": entry.verdict.value}
        await self._audit.record(actor.audit("fraud.list.remove", key, entry.scope or "", details))
        return entry


def _matches(e: ListEntry, q: ListQuery, now: datetime) -> bool:
    return (
        (q.kind is None or e.kind is q.kind)
        and (q.verdict is None or e.verdict is q.verdict)
        and (not q.global_only or e.scope is None)
        and (q.company_id is None or e.scope == q.company_id)
        and (q.include_expired or e.active(now))
    )
