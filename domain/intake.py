"""Intake: idempotent admission of an order request, then the fraud decision.

Runs in the worker that owns the company's partition, which makes that partition the one
serialization point for a company's idempotency keys: no locks, no races between API nodes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from domain.events import OrderEvent, events_for
from domain.fraud import Assessment
from domain.orders import Order, OrderRequest, OrderStatus, StatusChange, order_id_for


class Admission(str, enum.Enum):
    CREATED = "created"  # a new order (or the log redelivering the request that created it)
    REPLAYED = "replayed"  # same key, same body: the original order, nothing new
    CONFLICT = "conflict"  # same key, different body: refused


@dataclass(frozen=True, slots=True)
class Decision:
    status: OrderStatus
    reason: str
    assessment: Assessment | None = None  # the fraud check's details, stored with the decision


Decide = Callable[[Order], Decision]


@dataclass(frozen=True, slots=True)
class IntakeEntry:
    """What the intake remembers per (company, idempotency key)."""

    request_id: str
    body_hash: str
    order: Order


@dataclass(frozen=True, slots=True)
class IntakeResult:
    admission: Admission
    order: Order | None  # None only for a conflict
    entry: IntakeEntry | None  # to store; None when nothing changed
    events: tuple[OrderEvent, ...]  # to emit; ids are deterministic, so re-emitting is safe
    assessment: Assessment | None = None  # for a newly decided order, when the check made one


def idempotency_scope(company_id: str, idempotency_key: str) -> str:
    return f"{company_id}\x1f{idempotency_key}"


def admit(request: OrderRequest, existing: IntakeEntry | None, decide: Decide) -> IntakeResult:
    if existing is None:
        return _create(request, decide)
    if existing.request_id == request.request_id:
        # The log redelivered the message that created the order (a crash before the offset
        # commit): answer and emit exactly what the first delivery did.
        return IntakeResult(Admission.CREATED, existing.order, None, events_for(existing.order))
    if existing.body_hash == request.body_hash:
        return IntakeResult(Admission.REPLAYED, existing.order, None, ())
    return IntakeResult(Admission.CONFLICT, None, None, ())


def received_order(request: OrderRequest) -> Order:
    """The order as intake first sees it, before the fraud decision."""
    return Order(
        id=order_id_for(request.request_id),
        company_id=request.company_id,
        idempotency_key=request.idempotency_key,
        product_id=request.product_id,
        amount=request.amount,
        recipient=request.recipient,
        end_user=request.end_user,
        created_at=request.received_at,
        history=(StatusChange(OrderStatus.RECEIVED, "accepted by intake", request.received_at),),
        external_id=request.external_id,
        metadata=request.metadata,
        sandbox=request.sandbox,
        fee=request.fee,
        product_type=request.product_type,
        batch=request.batch,
    )


def _create(request: OrderRequest, decide: Decide) -> IntakeResult:
    received = received_order(request)
    decision = decide(received)
    order = received.transition(decision.status, decision.reason, request.received_at)
    entry = IntakeEntry(request.request_id, request.body_hash, order)
    return IntakeResult(Admission.CREATED, order, entry, events_for(order), decision.assessment)
