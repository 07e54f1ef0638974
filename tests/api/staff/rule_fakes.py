"""In-memory stand-ins for the fraud rule and list stores and the stored decisions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from api.staff.list_service import Companies, ListAdmin
from api.staff.rule_desk import RuleDesk
from api.staff.rule_service import RuleAdmin
from api.staff.rule_trials import RuleTrials
from detectors.lists import ListEntry, ListIndex, ListKind, ListVerdict
from detectors.rules import OrderAttributes
from detectors.rules.trials import EMPTY_CHUNK, DecisionChunk, HistoryPeriod
from domain.audit import AuditTrail
from domain.cards import CardVault
from streams.fraud_lists import encode_list_entry
from streams.fraud_rules import CURRENT, PublishedSet, RuleBook, SavedRule, encode_saved_rule, encode_set, rule_key
from tests.builders import T0

VAULT = CardVault({"k1": b"k" * 32}, b"token-key")


@dataclass
class InMemoryRuleStore:
    """Writes records as KafkaRuleStore does, applied to the book (the topic's replica)."""

    book: RuleBook
    records: list[tuple[str, bytes]] = field(default_factory=list)

    def _send(self, key: str, value: bytes) -> None:
        self.records.append((key, value))
        self.book.apply(key, value)

    async def save_rule(self, saved: SavedRule) -> None:
        self._send(rule_key(saved.rule.id, saved.rule.version), encode_saved_rule(saved))

    async def publish(self, published: PublishedSet) -> None:
        self._send(f"set:v{published.version}", encode_set(published))
        self._send(CURRENT, json.dumps({"set": published.version}).encode())

    def replayed(self) -> RuleBook:
        """A worker's view: a fresh book fed every record written."""
        book = RuleBook()
        for key, value in self.records:
            book.apply(key, value)
        return book


@dataclass
class InMemoryListStore:
    """The lists topic: records by key, tombstones as None."""

    records: list[tuple[str, bytes | None]] = field(default_factory=list)

    async def put(self, entry: ListEntry) -> None:
        self.records.append((entry.key, encode_list_entry(entry)))

    async def remove(self, key: str) -> None:
        self.records.append((key, None))

    def replayed(self) -> ListIndex:
        index = ListIndex()
        for key, value in self.records:
            index.apply(key, None if value is None else json.loads(value))
        return index


@dataclass(frozen=True, slots=True)
class StoredDecision:
    order_id: str
    at: datetime
    features: dict[str, float]
    attributes: OrderAttributes
    outcome: str = "approved"


def stored(n: int, company: str = "cmp_seeded", hours: float = 0.0, amount: int = 1000, **features: float) -> StoredDecision:
    values = {"amount": float(amount), "rcpt_is_card": 1.0, **features}
    return StoredDecision(
        f"ord_{n}", T0 + timedelta(hours=hours), values, OrderAttributes(company, amount, "EUR", "card", "412345")
    )


@dataclass
class InMemoryDecisionHistory:
    decisions: list[StoredDecision] = field(default_factory=list)
    frauds: set[str] = field(default_factory=set)
    pages: int = 0  # how many pages were read

    def _in(self, period: HistoryPeriod) -> list[StoredDecision]:
        return sorted(
            (d for d in self.decisions if period.start <= d.at < period.end
             and (period.company_id is None or d.attributes.company_id == period.company_id)),
            key=lambda d: (d.at, d.order_id),
        )  # fmt: skip

    async def count(self, period: HistoryPeriod) -> int:
        return len(self._in(period))

    async def page(
        self, period: HistoryPeriod, names: frozenset[str], after: tuple[datetime, str] | None, limit: int
    ) -> DecisionChunk:
        self.pages += 1
        rows = [d for d in self._in(period) if after is None or (d.at, d.order_id) > after]
        return chunk_of(rows[:limit])

    async def for_orders(self, order_ids: Sequence[str], names: frozenset[str]) -> DecisionChunk:
        wanted = set(order_ids)
        return chunk_of(sorted((d for d in self.decisions if d.order_id in wanted), key=lambda d: (d.at, d.order_id)))

    async def confirmed_frauds(self, period: HistoryPeriod) -> frozenset[str]:
        return frozenset(d.order_id for d in self._in(period) if d.order_id in self.frauds)


def chunk_of(rows: Sequence[StoredDecision]) -> DecisionChunk:
    if not rows:
        return EMPTY_CHUNK
    matrix = np.zeros((len(rows), len(FEATURE_NAMES)))
    for i, d in enumerate(rows):
        for name, value in d.features.items():
            matrix[i, FEATURE_INDEX[name]] = value
    return DecisionChunk(
        tuple(d.order_id for d in rows), tuple(d.at for d in rows), tuple(d.outcome for d in rows),
        tuple(d.attributes for d in rows), matrix,
    )  # fmt: skip


def rule_body(rule_id: str = "big_payout", **overrides: Any) -> dict[str, Any]:
    return {"id": rule_id, "name": "Big payout", "expression": "amount_major >= 500", "action": "review",
            "priority": 10, **overrides}  # fmt: skip


SEEDED_ENTRY = ListEntry.create(ListKind.END_USER, "u_seeded", ListVerdict.BLOCK, None, "seeded", "stf_seed", T0)


def seeded_rule_desk(companies: Companies, audit: AuditTrail) -> RuleDesk:
    """Rules at the defaults, one list entry (SEEDED_ENTRY), ten stored decisions."""
    book = RuleBook()
    admin = RuleAdmin(book, InMemoryRuleStore(book), audit)
    history = InMemoryDecisionHistory([stored(n, hours=n, user_count_1h=float(n)) for n in range(10)], {"ord_7"})
    lists = ListAdmin(ListIndex([SEEDED_ENTRY]), InMemoryListStore(), VAULT, companies, audit)
    return RuleDesk(admin, RuleTrials(admin, history), lists)
