"""Cross-company patterns found by periodic queries over the order log: one recipient paid by
end users of several companies (a mule card or phone), or one device used by end users of
several companies (a ring behind many accounts). No single company's partition can see these,
so the stream's features cannot; a periodic detector reads ClickHouse instead.

This module is the pure half: what counts as a pattern, and what a found pattern becomes (a
case for an analyst, and the subject to put on a list).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from detectors.lists import ListEntry, ListKind, ListVerdict
from domain.fraud import CaseEvent, CaseEventKind


class PatternKind(str, enum.Enum):
    SHARED_RECIPIENT_CARD = "shared_recipient_card"
    SHARED_RECIPIENT_PHONE = "shared_recipient_phone"
    SHARED_DEVICE = "shared_device"


@dataclass(frozen=True, slots=True)
class PatternThresholds:
    min_companies: int = 2  # a pattern spans at least this many companies
    min_end_users: int = 5  # and at least this many distinct end users in all
    block_days: int = 30  # how long the found subject stays blocked (analysts may lift it)

    def __post_init__(self) -> None:
        if self.min_companies < 2 or self.min_end_users < 2:
            raise ValueError("a cross-company pattern needs at least 2 companies and 2 end users")


@dataclass(frozen=True, slots=True)
class PatternHit:
    kind: PatternKind
    subject: str  # the card token, phone or device id shared
    companies: int
    end_users: int
    orders: int
    first_at: datetime
    last_at: datetime

    def qualifies(self, t: PatternThresholds) -> bool:
        return self.companies >= t.min_companies and self.end_users >= t.min_end_users


def case_id_for(hit: PatternHit) -> str:
    """One case per subject: finding the same pattern again adds nothing (same event id)."""
    digest = hashlib.sha256(f"{hit.kind.value}\x1f{hit.subject}".encode()).hexdigest()[:24]
    return f"case_pattern_{digest}"


def describe(hit: PatternHit) -> str:
    what = {
        PatternKind.SHARED_RECIPIENT_CARD: "one recipient card paid by",
        PatternKind.SHARED_RECIPIENT_PHONE: "one recipient phone paid by",
        PatternKind.SHARED_DEVICE: "one device used by",
    }[hit.kind]
    return (f"{what} {hit.end_users} end users of {hit.companies} companies "
            f"({hit.orders} orders, {hit.first_at:%Y-%m-%d %H:%M} to {hit.last_at:%Y-%m-%d %H:%M} UTC)")  # fmt: skip


def opened_case(hit: PatternHit, detector: str) -> CaseEvent:
    case_id = case_id_for(hit)
    return CaseEvent(f"{case_id}:opened", case_id, CaseEventKind.OPENED, hit.last_at, detector,
                     subject=f"{hit.kind.value}:{hit.subject}", text=describe(hit))  # fmt: skip


_LIST_KIND = {
    PatternKind.SHARED_RECIPIENT_CARD: ListKind.CARD_TOKEN,
    PatternKind.SHARED_RECIPIENT_PHONE: ListKind.PHONE,
    PatternKind.SHARED_DEVICE: ListKind.DEVICE,
}


def block_entry(hit: PatternHit, detector: str, at: datetime, t: PatternThresholds) -> ListEntry:
    """The subject blocked for every company until the block expires."""
    return ListEntry.create(_LIST_KIND[hit.kind], hit.subject, ListVerdict.BLOCK, None,
                            f"{describe(hit)} [{case_id_for(hit)}]", detector, at,
                            at + timedelta(days=t.block_days))  # fmt: skip
