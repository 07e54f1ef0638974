"""Staff fraud routes: the review queue, cases, verdicts, decisions and rule hits (decode,
call the fraud desk, encode). Reading needs risk review or orders read; acting, risk review.

Actions take an optional `Idempotency-Key`: a retry with the same key sends the same review
command (the intake answers it the same) and appends the same case event (stored once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api import errors
from api.deps import idempotency_key, require_json, services
from api.schemas import OrderOut
from api.staff.auth import acting, require, require_any
from api.staff.fraud_schemas import (
    AssignIn, CaseDetailOut, CaseEventOut, CaseList, CaseOut, CaseParams, DecisionOut, NoteIn, QueueParams,
    ReviewIn, ReviewItemOut, ReviewOut, ReviewQueueOut, RuleStatsOut, RuleStatsParams,
)  # fmt: skip
from api.staff.fraud_service import FraudDesk
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/fraud", tags=["staff: fraud review"])
Reader = Annotated[StaffUser, Depends(require_any(Permission.RISK_REVIEW, Permission.ORDERS_READ))]
Reviewer = Annotated[StaffUser, Depends(require(Permission.RISK_REVIEW))]
Json = Annotated[None, Depends(require_json)]


async def retry_key(request: Request) -> str | None:
    """The optional Idempotency-Key of a staff action (validated like the partner's)."""
    return None if request.headers.get("idempotency-key") is None else await idempotency_key(request)


RetryKey = Annotated[str | None, Depends(retry_key)]


def _desk(request: Request) -> FraudDesk:
    desk = services(request).staff.fraud
    if desk is None:  # this process does not read the fraud tables
        raise errors.Problem(503, "fraud-review-unavailable", "Fraud review is not available here")
    return desk


@router.get("/reviews", response_model=ReviewQueueOut)
async def review_queue(request: Request, _user: Reader, params: Annotated[QueueParams, Query()]) -> ReviewQueueOut:
    """Orders in review now, oldest first, each with its decision and its case's assignee."""
    items, cursor = await _desk(request).queue(params.to_query(), params.cursor, params.limit)
    return ReviewQueueOut(data=[ReviewItemOut.from_item(i) for i in items], next_cursor=cursor)


@router.get("/cases", response_model=CaseList)
async def list_cases(request: Request, _user: Reader, params: Annotated[CaseParams, Query()]) -> CaseList:
    found, cursor = await _desk(request).cases(params.to_case_query(), params.cursor, params.limit)
    return CaseList(data=[CaseOut.from_view(c) for c in found], next_cursor=cursor)


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
async def get_case(request: Request, case_id: str, _user: Reader) -> CaseDetailOut:
    detail = await _desk(request).case(case_id)
    return CaseDetailOut(
        **CaseOut.from_view(detail.case).model_dump(),
        timeline=[CaseEventOut.from_event(e) for e in detail.events],
        order=OrderOut.from_order(detail.order) if detail.order else None,
        decision=DecisionOut.from_view(detail.decision) if detail.decision else None,
    )


@router.post("/cases/{case_id}/assign", status_code=202, response_model=CaseEventOut)
async def assign_case(
    request: Request, case_id: str, body: AssignIn, user: Reviewer, _j: Json, key: RetryKey
) -> CaseEventOut:
    """Appends an `assigned` event (the latest assignment counts); listings show it moments later."""
    event = await _desk(request).assign(acting(request, user), case_id, body.analyst_id, key)
    return CaseEventOut.from_event(event)


@router.post("/cases/{case_id}/notes", status_code=202, response_model=CaseEventOut)
async def add_note(request: Request, case_id: str, body: NoteIn, user: Reviewer, _j: Json, key: RetryKey) -> CaseEventOut:
    event = await _desk(request).note(acting(request, user), case_id, body.text, key)
    return CaseEventOut.from_event(event)


@router.post("/orders/{order_id}/review", response_model=ReviewOut)
async def review_order(
    request: Request, order_id: str, body: ReviewIn, user: Reviewer, _j: Json, key: RetryKey
) -> ReviewOut:
    """Executed by the intake that owns the order: 404 unknown order, 409 `review-refused`
    when the order is not in a state the action applies to, 503 when no answer came in time
    (retry with the same Idempotency-Key)."""
    outcome = await _desk(request).review(acting(request, user), order_id, body.action, body.note, body.block, key)
    return ReviewOut(command_id=outcome.command_id, order_id=outcome.order_id, status=outcome.status)


@router.get("/decisions/{order_id}", response_model=DecisionOut)
async def get_decision(request: Request, order_id: str, _user: Reader) -> DecisionOut:
    return DecisionOut.from_view(await _desk(request).decision(order_id))


@router.get("/rule-stats", response_model=RuleStatsOut)
async def rule_stats(request: Request, _user: Reader, params: Annotated[RuleStatsParams, Query()]) -> RuleStatsOut:
    """Hits per rule (enforced and in shadow mode) of the decisions made in [from, to)."""
    stats = await _desk(request).rule_stats(params.at_from, params.at_to, params.company_id)
    return RuleStatsOut.from_stats(params, stats)
