"""An order's whole story as staff read it: its status changes, the fraud decision, the
partner's request, provider calls, webhook attempts, ledger entries and review case events,
merged into one list in time order.

Pure: the views the read ports return and the merge; nothing here reads or sanitizes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Ids a request-log row may have: 32 hex (inbound requests, provider calls) or a webhook
# attempt's `msg_<32 hex>:<round>:<attempt>` (rounds are "" or a replay's `rpl_<request id>`).
REQUEST_ID = re.compile(r"^(?:[0-9a-f]{32}|msg_[0-9a-f]{32}:[A-Za-z0-9_\-]{0,80}:[0-9]{1,5})$")
HEX_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class TimelineKind(str, enum.Enum):
    PARTNER_REQUEST = "partner_request"  # the partner's POST /v1/orders that created the order
    STATUS = "status"  # a status change (order_events)
    DECISION = "decision"  # the fraud check's decision
    CASE_EVENT = "case_event"  # the review case: opened, assigned, note, resolved
    LEDGER_ENTRY = "ledger_entry"  # reserve, capture, release, fee
    PROVIDER_CALL = "provider_call"  # an outbound call to a payout provider
    WEBHOOK_ATTEMPT = "webhook_attempt"  # a webhook queued (attempt 0) or sent to the partner


# At the same millisecond, the order things happen in: the request, its status, the decision
# on it, a case it opens, the money, the provider, the partner told last.
_RANK = {kind: rank for rank, kind in enumerate(TimelineKind)}


@dataclass(frozen=True, slots=True)
class StatusEventView:
    """One row of `order_events`."""

    event_id: str
    sequence: int
    status: str
    reason: str
    at: datetime
    amount_value: int  # minor units
    currency: str


@dataclass(frozen=True, slots=True)
class LedgerEntryView:
    """One row of `ledger_entries` for the order."""

    entry_id: str
    kind: str
    amount: int  # minor units
    currency: str
    source: str
    target: str
    at: datetime
    command_id: str
    reason: str
    actor: str
    available_after: int
    reserved_after: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: TimelineKind
    id: str  # the source row's id (event, entry, request, attempt id; the order id for its decision)
    item: object  # the source row's view; which type depends on `kind`


def merged(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Oldest first; ties by the order things happen in, then by id (stable across reads)."""
    return sorted(entries, key=lambda e: (e.at, _RANK[e.kind], e.id))


def request_time_ms(request_id: str) -> int | None:
    """When a 32-hex request id was made (its first 12 hex digits: ms since the epoch)."""
    return int(request_id[:12], 16) if HEX_REQUEST_ID.match(request_id) else None
