"""The lists in memory: which entries match an order's identifiers at a given time.

A dict per kind, value → {scope: entry}: matching an order is at most six dict lookups plus
two per hit (global, then the order's company). Expired entries are ignored (and dropped by
`purge`); a company's entry matches only that company's orders, a global entry every order.
Kinds without entries are skipped, and a phone or IP is normalised only when its raw form
misses (identifiers usually arrive in canonical form already).

The stream builds it from the compacted lists topic: `apply(key, value)` per record, a None
value (tombstone) removing the entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from detectors.lists.entries import (
    ListEntry,
    ListEntryError,
    ListKind,
    ListVerdict,
    OrderIdentifiers,
    normalize,
)

_FIELDS = (
    (ListKind.END_USER, "end_user"),
    (ListKind.CARD_TOKEN, "card_token"),
    (ListKind.BIN, "bin"),
    (ListKind.PHONE, "phone"),
    (ListKind.DEVICE, "device"),
    (ListKind.IP, "ip"),
)
_NORMALISED = frozenset({ListKind.PHONE, ListKind.IP})


class ListIndex:
    """Mutable (fed by the lists topic) but owned by one worker: no locking."""

    __slots__ = ("_tables", "_size")

    def __init__(self, entries: Iterable[ListEntry] = ()) -> None:
        self._tables: dict[ListKind, dict[str, dict[str | None, ListEntry]]] = {k: {} for k in ListKind}
        self._size = 0
        for entry in entries:
            self.put(entry)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[ListEntry]:
        for table in self._tables.values():
            for by_scope in table.values():
                yield from by_scope.values()

    def put(self, entry: ListEntry) -> None:
        """Adds the entry, or replaces the one with the same kind, value and scope."""
        by_scope = self._tables[entry.kind].setdefault(entry.value, {})
        if entry.scope not in by_scope:
            self._size += 1
        by_scope[entry.scope] = entry

    def remove(self, kind: ListKind, value: str, scope: str | None) -> bool:
        table = self._tables[kind]
        try:
            value = normalize(kind, value)
        except ListEntryError:
            return False
        by_scope = table.get(value)
        if by_scope is None or scope not in by_scope:
            return False
        del by_scope[scope]
        if not by_scope:
            del table[value]
        self._size -= 1
        return True

    def apply(self, key: str, record: dict[str, Any] | None) -> None:
        """One record of the compacted topic: the entry's JSON dict, or None to delete `key`."""
        if record is not None:
            entry = ListEntry.from_dict(record)
            if entry.key != key:
                raise ListEntryError(f"record for {entry.key} arrived under key {key}")
            self.put(entry)
            return
        try:
            kind, scope, value = json.loads(key)
            self.remove(ListKind(kind), value, scope)
        except (ValueError, TypeError):
            raise ListEntryError(f"{key!r} is not a list entry key") from None

    def purge(self, at: datetime) -> int:
        """Drops the entries expired at `at`; returns how many."""
        expired = [e for e in self if not e.active(at)]
        for e in expired:
            self.remove(e.kind, e.value, e.scope)
        return len(expired)

    def match(self, ids: OrderIdentifiers, company_id: str, at: datetime) -> tuple[ListEntry, ...]:
        """The active entries matching the order: per identifier, the global one, then the company's."""
        if not self._size:
            return ()
        found: list[ListEntry] = []
        tables = self._tables
        for kind, attr in _FIELDS:
            table = tables[kind]
            raw = getattr(ids, attr)
            if not table or not raw:
                continue
            if kind is ListKind.BIN:
                self._match_bin(table, raw, company_id, at, found)
                continue
            by_scope = table.get(raw)
            if by_scope is None and kind in _NORMALISED:
                try:
                    by_scope = table.get(normalize(kind, raw))
                except ListEntryError:
                    by_scope = None
            if by_scope is not None:
                _scoped(by_scope, company_id, at, found)
        return tuple(found)

    @staticmethod
    def _match_bin(
        table: dict[str, dict[str | None, ListEntry]], raw: str, company_id: str, at: datetime,
        found: list[ListEntry],
    ) -> None:  # fmt: skip
        """A 6-digit entry matches an 8-digit BIN that starts with it, and so on."""
        for n in (6, 7, 8):
            if len(raw) >= n:
                by_scope = table.get(raw[:n])
                if by_scope is not None:
                    _scoped(by_scope, company_id, at, found)


def _scoped(by_scope: dict[str | None, ListEntry], company_id: str, at: datetime, found: list[ListEntry]) -> None:
    for scope in (None, company_id):
        entry = by_scope.get(scope)
        if entry is not None and (entry.expires_at is None or at < entry.expires_at):
            found.append(entry)


def blocked(matches: Iterable[ListEntry]) -> tuple[ListEntry, ...]:
    return tuple(e for e in matches if e.verdict is ListVerdict.BLOCK)


def allowed(matches: Iterable[ListEntry]) -> tuple[ListEntry, ...]:
    return tuple(e for e in matches if e.verdict is ListVerdict.ALLOW)
