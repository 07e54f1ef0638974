"""Use cases behind the staff fraud routes: the review queue, cases, decisions and rule hits
(read from ClickHouse), case assignments and notes (events on `fraud.cases`), and review
verdicts (commands the intake owning the order executes and answers). Every action is
audited; cursors are decoded here, so a cursor this API did not hand out is a 400 problem."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from analytics.fraud_cases_repo import decode_case_key, encode_case_key
from analytics.fraud_repo import decode_queue_key, encode_queue_key
from domain.audit import AuditTrail
from domain.errors import InvalidCommand, NotFound
from domain.fraud import CaseEvent, ReviewAction, ReviewCommand
from domain.fraud_views import (
    CASE_ID, ORDER_ID, STAFF_ID, CaseKey, CaseQuery, CaseView, DecisionView, OrderRef, QueueKey, QueueQuery,
    QueuedOrder, ReviewItem, RuleStats, annotation, assignment, check_note,
)  # fmt: skip
from domain.orders import Order
from domain.staff import Permission, StaffActor, StaffUser


class FraudReads(Protocol):
    async def queue(self, q: QueueQuery, after: QueueKey | None, limit: int) -> tuple[list[QueuedOrder], QueueKey | None]: ...  # noqa: E501

    async def decisions(self, order_ids: Sequence[str]) -> dict[str, DecisionView]: ...

    async def decisions_of(self, orders: Sequence[QueuedOrder]) -> dict[str, DecisionView]: ...

    async def decision(self, order_id: str) -> DecisionView | None: ...

    async def assignees(self, order_ids: Sequence[str]) -> dict[str, str]: ...

    async def order_ref(self, order_id: str) -> OrderRef | None: ...

    async def rule_stats(self, at_from: datetime, at_to: datetime, company_id: str | None) -> RuleStats: ...


class CaseReads(Protocol):
    async def page(self, q: CaseQuery, after: CaseKey | None, limit: int) -> tuple[list[CaseView], CaseKey | None]: ...  # noqa: E501

    async def get(self, case_id: str) -> CaseView | None: ...

    async def events(self, case_id: str) -> list[CaseEvent]: ...


class OrderLookup(Protocol):
    async def find(self, company_id: str, order_id: str) -> Order | None: ...


class ReviewPort(Protocol):
    async def submit(self, command: ReviewCommand) -> dict[str, Any]:
        """The intake's reply payload; raises a DomainError when refused or unanswered."""


class CaseLog(Protocol):
    async def append(self, event: CaseEvent) -> None:
        """Durable when it returns."""


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseView
    events: list[CaseEvent]
    order: Order | None
    decision: DecisionView | None


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    command_id: str
    order_id: str
    status: str


def request_token(actor: StaffActor, idempotency_key: str | None) -> str:
    """What makes a staff action's ids: the request id, or the user's Idempotency-Key (a retry
    with the same key sends the same command and appends the same event, harmlessly)."""
    if idempotency_key is None:
        return actor.request_id
    return hashlib.blake2b(f"{actor.user.id}\x1f{idempotency_key}".encode(), digest_size=16).hexdigest()


class FraudDesk:
    def __init__(
        self, reads: FraudReads, cases: CaseReads, orders: OrderLookup, reviews: ReviewPort, case_log: CaseLog,
        staff_user: Callable[[str], StaffUser], audit: AuditTrail,
    ) -> None:  # fmt: skip
        """`staff_user`: a staff account by id, NotFound when there is none."""
        self._reads = reads
        self._cases = cases
        self._orders = orders
        self._reviews = reviews
        self._case_log = case_log
        self._staff_user = staff_user
        self._audit = audit

    # --- reads --------------------------------------------------------------------------

    async def queue(self, q: QueueQuery, cursor: str | None, limit: int) -> tuple[list[ReviewItem], str | None]:
        after = None if cursor is None else decode_queue_key(cursor)
        orders, next_key = await self._reads.queue(q, after, limit)
        ids = [o.order_id for o in orders]
        decisions, assignees = await self._reads.decisions_of(orders), await self._reads.assignees(ids)
        items = [ReviewItem(o, decisions.get(o.order_id), assignees.get(o.order_id, "")) for o in orders]
        return items, encode_queue_key(next_key)

    async def cases(self, q: CaseQuery, cursor: str | None, limit: int) -> tuple[list[CaseView], str | None]:
        after = None if cursor is None else decode_case_key(cursor)
        found, next_key = await self._cases.page(q, after, limit)
        return found, encode_case_key(next_key)

    async def case(self, case_id: str) -> CaseDetail:
        case = await self._case(case_id)
        events = await self._cases.events(case.case_id)
        order = decision = None
        if case.order_id:
            order = await self._orders.find(case.company_id, case.order_id)
            decision = await self._reads.decision(case.order_id)
        return CaseDetail(case, events, order, decision)

    async def decision(self, order_id: str) -> DecisionView:
        found = await self._reads.decision(order_id) if ORDER_ID.match(order_id) else None
        if found is None:
            raise NotFound("No decision is stored for this order")
        return found

    async def rule_stats(self, at_from: datetime, at_to: datetime, company_id: str | None) -> RuleStats:
        return await self._reads.rule_stats(at_from, at_to, company_id)

    # --- actions ------------------------------------------------------------------------

    async def assign(self, actor: StaffActor, case_id: str, analyst_id: str, idempotency_key: str | None) -> CaseEvent:
        analyst = self._analyst(analyst_id)
        case = await self._case(case_id)
        event = assignment(case, analyst.id, actor.user.id, request_token(actor, idempotency_key), actor.at)
        await self._case_log.append(event)
        await self._audit.record(actor.audit(
            "fraud.case_assign", case.case_id, case.company_id,
            {"event_id": event.event_id, "analyst_id": analyst.id, "previous": case.assignee},
        ))  # fmt: skip
        return event

    async def note(self, actor: StaffActor, case_id: str, text: str, idempotency_key: str | None) -> CaseEvent:
        text = check_note(text)
        case = await self._case(case_id)
        event = annotation(case, text, actor.user.id, request_token(actor, idempotency_key), actor.at)
        await self._case_log.append(event)
        await self._audit.record(actor.audit(
            "fraud.case_note", case.case_id, case.company_id, {"event_id": event.event_id, "text": event.text}
        ))  # fmt: skip
        return event

    async def review(
        self, actor: StaffActor, order_id: str, action: ReviewAction, note: str, block: bool,
        idempotency_key: str | None,
    ) -> ReviewOutcome:  # fmt: skip
        """Send the verdict to the intake that owns the order and wait for its answer: 404
        (no such order), 409 review-refused (not in a state the action applies to), 503 (no
        answer in time: retry with the same Idempotency-Key)."""
        note = check_note(note, "/note", required=False)
        ref = await self._reads.order_ref(order_id) if ORDER_ID.match(order_id) else None
        if ref is None:
            raise NotFound("No such order")
        command = ReviewCommand(
            command_id=f"rev_{request_token(actor, idempotency_key)}", action=action, company_id=ref.company_id,
            order_id=ref.order_id, idempotency_key=ref.idempotency_key, analyst=actor.user.id, note=note,
            block=block, at=actor.at,
        )  # fmt: skip
        reply = await self._reviews.submit(command)
        # No status in the reply: the verdict changed nothing the intake holds (fraud confirmed
        # on an order already paid), so the status is the latest the order log knows.
        outcome = ReviewOutcome(command.command_id, str(reply.get("order_id", ref.order_id)),
                                str(reply.get("status") or ref.status))  # fmt: skip
        await self._audit.record(actor.audit(
            f"fraud.review_{action.value}", ref.order_id, ref.company_id,
            {"command_id": command.command_id, "note": note, "block": block, "status": outcome.status},
        ))  # fmt: skip
        return outcome

    # --- helpers ------------------------------------------------------------------------

    async def _case(self, case_id: str) -> CaseView:
        case = await self._cases.get(case_id) if CASE_ID.match(case_id) else None
        if case is None:
            raise NotFound("No such case")
        return case

    def _analyst(self, analyst_id: str) -> StaffUser:
        if not STAFF_ID.match(analyst_id):
            raise InvalidCommand("not a staff user id", "/analyst_id")
        try:
            analyst = self._staff_user(analyst_id)
        except NotFound:
            raise InvalidCommand("no staff user with this id", "/analyst_id") from None
        if not analyst.may(Permission.RISK_REVIEW):
            raise InvalidCommand("this staff user cannot review fraud cases (inactive, or no risk role)",
                                 "/analyst_id")  # fmt: skip
        return analyst
