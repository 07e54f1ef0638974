"""Block and allow lists of end users, card tokens, BINs, phones, devices and IPs."""

from detectors.lists.entries import (
    ListEntry,
    ListEntryError,
    ListKind,
    ListVerdict,
    OrderIdentifiers,
    entry_key,
    identifiers_for,
    normalize,
)
from detectors.lists.index import ListIndex, allowed, blocked

__all__ = [
    "ListEntry",
    "ListEntryError",
    "ListIndex",
    "ListKind",
    "ListVerdict",
    "OrderIdentifiers",
    "allowed",
    "blocked",
    "entry_key",
    "identifiers_for",
    "normalize",
]
