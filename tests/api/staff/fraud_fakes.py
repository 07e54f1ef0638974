"""In-memory fraud review for the staff fraud routes: the tables (orders, decisions, case
events), the intake's answer to review commands (the domain's own `review_order`), and the
case log. Seeded with a few orders held for review."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.staff.fraud_service import FraudDesk
from domain.audit import AuditTrail
from domain.errors import NotFound
from domain.fraud import CaseEvent, CaseEventKind, ReviewCommand, review_order
from domain.fraud_views import (
    CaseKey, CaseQuery, CaseStatus, CaseView, DecisionView, OrderRef, QueueKey, QueueQuery, QueuedOrder,
    RuleHits, RuleStats,
)  # fmt: skip
from domain.orders import Order, OrderStatus
from domain.staff import StaffUser
from streams.command_client import NoReply
from tests.fraud_builders import decision_view, held_order, opened


def _queued(o: Order) -> QueuedOrder:
    return QueuedOrder(o.id, o.company_id, o.created_at, o.amount.value, o.amount.currency, o.product_id,
                       o.end_user.id, o.external_id or "", o.history[-1].reason)  # fmt: skip


def case_view(events: list[CaseEvent]) -> CaseView:
    """What the ClickHouse aggregation computes, over one case's events."""
    events = sorted(events, key=lambda e: (e.at, e.event_id))
    of = {k: [e for e in events if e.kind is k] for k in CaseEventKind}
    first = of[CaseEventKind.OPENED][0] if of[CaseEventKind.OPENED] else events[0]
    return CaseView(
        events[0].case_id, max((e.company_id for e in events), default=""), max((e.order_id for e in events), default=""),
        next((e.subject for e in events if e.subject), ""), first.text if first.kind is CaseEventKind.OPENED else "",
        CaseStatus.RESOLVED if of[CaseEventKind.RESOLVED] else CaseStatus.OPEN,
        of[CaseEventKind.ASSIGNED][-1].text if of[CaseEventKind.ASSIGNED] else "",
        of[CaseEventKind.RESOLVED][-1].text if of[CaseEventKind.RESOLVED] else "", first.at, events[-1].at,
        len(events),
    )  # fmt: skip


@dataclass
class FraudTables:
    """The orders (latest state), decisions and case events the sink would have stored."""

    orders: dict[str, Order] = field(default_factory=dict)
    decisions: dict[str, DecisionView] = field(default_factory=dict)
    events: dict[str, CaseEvent] = field(default_factory=dict)  # by event id: a replay replaces

    def cases(self) -> list[CaseView]:
        by_case: dict[str, list[CaseEvent]] = {}
        for e in self.events.values():
            by_case.setdefault(e.case_id, []).append(e)
        return [case_view(v) for v in by_case.values()]


@dataclass
class InMemoryFraudReads:
    t: FraudTables

    async def queue(self, q: QueueQuery, after: QueueKey | None, limit: int) -> tuple[list[QueuedOrder], QueueKey | None]:  # noqa: E501
        assignees = await self.assignees(list(self.t.orders))
        rows = sorted(
            (_queued(o) for o in self.t.orders.values()
             if o.status is OrderStatus.IN_REVIEW and q.company_id in (None, o.company_id)
             and q.assignee in (None, assignees.get(o.id))),
            key=lambda o: (o.created_at, o.order_id),
        )  # fmt: skip
        rows = [o for o in rows if after is None or (o.created_at, o.order_id) > (after.created_at, after.order_id)]
        return rows[:limit], (rows[limit - 1].key if len(rows) > limit else None)

    async def decisions(self, order_ids: Sequence[str]) -> dict[str, DecisionView]:
        return {i: self.t.decisions[i] for i in order_ids if i in self.t.decisions}

    async def decisions_of(self, orders: Sequence[QueuedOrder]) -> dict[str, DecisionView]:
        # By key, as ClickHouse finds them: a decision is stamped with its order's company and time.
        found = {o.order_id: self.t.decisions.get(o.order_id) for o in orders}
        return {o.order_id: d for o in orders if (d := found[o.order_id]) is not None
                and (d.company_id, d.at) == (o.company_id, o.created_at)}  # fmt: skip

    async def decision(self, order_id: str) -> DecisionView | None:
        return self.t.decisions.get(order_id)

    async def assignees(self, order_ids: Sequence[str]) -> dict[str, str]:
        found = {c.order_id: c.assignee for c in self.t.cases() if c.order_id and c.assignee}
        return {i: found[i] for i in order_ids if i in found}

    async def order_ref(self, order_id: str) -> OrderRef | None:
        o = self.t.orders.get(order_id)
        return None if o is None else OrderRef(o.id, o.company_id, o.idempotency_key, o.status.value)

    async def rule_stats(self, at_from: datetime, at_to: datetime, company_id: str | None) -> RuleStats:
        chosen = [d for d in self.t.decisions.values()
                  if at_from <= d.at < at_to and company_id in (None, d.company_id)]  # fmt: skip
        rules = sorted({r for d in chosen for r in (*d.fired_rules, *d.shadow_rules)})
        hits = [RuleHits(r, sum(r in d.fired_rules for d in chosen), sum(r in d.shadow_rules for d in chosen))
                for r in rules]  # fmt: skip
        return RuleStats(len(chosen), tuple(hits))


@dataclass
class InMemoryCases:
    t: FraudTables

    async def page(self, q: CaseQuery, after: CaseKey | None, limit: int) -> tuple[list[CaseView], CaseKey | None]:
        rows = sorted(
            (c for c in self.t.cases() if q.status in (None, c.status) and q.company_id in (None, c.company_id)
             and q.assignee in (None, c.assignee)),
            key=lambda c: (c.opened_at, c.case_id), reverse=True,
        )  # fmt: skip
        rows = [c for c in rows if after is None or (c.opened_at, c.case_id) < (after.opened_at, after.case_id)]
        return rows[:limit], (rows[limit - 1].key if len(rows) > limit else None)

    async def get(self, case_id: str) -> CaseView | None:
        return next((c for c in self.t.cases() if c.case_id == case_id), None)

    async def events(self, case_id: str) -> list[CaseEvent]:
        return sorted((e for e in self.t.events.values() if e.case_id == case_id), key=lambda e: (e.at, e.event_id))


@dataclass
class InMemoryOrders:
    t: FraudTables

    async def find(self, company_id: str, order_id: str) -> Order | None:
        o = self.t.orders.get(order_id)
        return o if o is not None and o.company_id == company_id else None


@dataclass
class FakeIntakeReviews:
    """Answers like the intake: the domain's `review_order`; `silent` when no answer comes."""

    t: FraudTables
    commands: list[ReviewCommand] = field(default_factory=list)
    silent: bool = False
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)  # command id → its reply

    async def submit(self, command: ReviewCommand) -> dict[str, Any]:
        self.commands.append(command)
        if self.silent:
            raise NoReply()
        if command.command_id in self.answered:  # a retried command answers the same
            return self.answered[command.command_id]
        order = self.t.orders.get(command.order_id)
        if order is None or order.company_id != command.company_id:
            raise NotFound(f"no order {command.order_id}")
        after, _report = review_order(order, command)
        self.t.orders[after.id] = after
        self.answered[command.command_id] = {"order_id": after.id, "status": after.status.value}
        return self.answered[command.command_id]


@dataclass
class RecordingCaseLog:
    t: FraudTables
    appended: list[CaseEvent] = field(default_factory=list)

    async def append(self, event: CaseEvent) -> None:
        self.appended.append(event)
        self.t.events[event.event_id] = event  # as the sink would store it


def seeded_tables() -> FraudTables:
    """Orders 1-5 held for review (order 3 of cmp_other), order 6 approved; each with its
    decision; a case opened per held order."""
    t = FraudTables()
    held = [held_order(n, "cmp_other" if n == 3 else "cmp_seeded") for n in range(1, 6)]
    for o in [*held, held_order(6, "cmp_seeded", OrderStatus.APPROVED)]:
        t.orders[o.id] = o
        t.decisions[o.id] = decision_view(o)
    for o in held:
        e = opened(o)
        t.events[e.event_id] = e
    return t


def seeded_fraud_desk(staff_user: Callable[[str], StaffUser], audit: AuditTrail) -> FraudDesk:
    """A fraud desk over `seeded_tables()` (for the role matrix)."""
    t = seeded_tables()
    return FraudDesk(InMemoryFraudReads(t), InMemoryCases(t), InMemoryOrders(t), FakeIntakeReviews(t),
                     RecordingCaseLog(t), staff_user, audit)  # fmt: skip
