"""The review queue and fraud cases: held payouts, a case with its order, decision, events and
notes, and the analyst's actions on it (assign to me, note, approve, decline, confirm fraud).

Each handler calls the fraud desk use case the staff JSON routes (api/staff/fraud_routes.py)
call, after parsing the form into the same schemas. Reads need risk review or orders read;
actions need risk review, as the JSON routes do.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import errors
from api.staff.auth import acting
from api.staff.fraud_schemas import AssignIn, CaseParams, NoteIn, QueueParams, ReviewIn
from dashboards.pages.risk_common import (
    attempt_of, domain_errors, flash, fraud_desk, new_attempt, schema_errors, scrubbed, viewer_with_any,
)  # fmt: skip
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from domain.errors import DomainError
from domain.fraud import ReviewAction
from domain.fraud_views import ORDER_ID, CaseStatus
from domain.orders import OrderStatus
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with_any(Permission.RISK_REVIEW, Permission.ORDERS_READ))]
Reviewer = Annotated[Viewer, Depends(viewer_with(Permission.RISK_REVIEW))]
CONFIRMED_ACTIONS = (ReviewAction.DECLINE, ReviewAction.CONFIRM_FRAUD)  # a confirmation step first
DONE = ("approve", "decline", "confirm_fraud", "assigned", "noted")
_QUEUE_FIELDS = ("company_id", "assignee", "cursor", "limit")
_CASE_FIELDS = (*_QUEUE_FIELDS, "status")


def _filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {k: request.query_params[k] for k in names if request.query_params.get(k, "").strip()}


def _next_url(path: str, filters: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    kept = {k: v for k, v in filters.items() if k != "cursor"}
    return path + "?" + urlencode({**kept, "cursor": cursor})


@router.get("/risk/reviews")
async def review_queue(request: Request, viewer: Reader, done: str | None = None) -> Response:
    filters = _filters(request, _QUEUE_FIELDS)
    context: dict[str, Any] = {"filters": filters, "items": [], "next_url": None, "errors": {},
                               "flash": flash(done, DONE)}  # fmt: skip
    try:
        params = QueueParams.model_validate(filters)
        items, cursor = await fraud_desk(request).queue(params.to_query(), params.cursor, params.limit)
    except ValidationError as e:
        return render(request, "risk/queue.html", {**context, "errors": schema_errors(e)}, 422, viewer)
    except DomainError as e:
        return render(request, "risk/queue.html", {**context, "errors": domain_errors(e, ("cursor",), "cursor")},
                      e.status, viewer)  # fmt: skip
    next_url = _next_url("/admin/risk/reviews", filters, cursor)
    return render(request, "risk/queue.html", {**context, "items": items, "next_url": next_url}, viewer=viewer)


@router.get("/risk/cases")
async def case_list(request: Request, viewer: Reader) -> Response:
    filters = _filters(request, _CASE_FIELDS)
    context: dict[str, Any] = {"filters": filters, "cases": [], "next_url": None, "errors": {}}
    try:
        params = CaseParams.model_validate(filters)
        cases, cursor = await fraud_desk(request).cases(params.to_case_query(), params.cursor, params.limit)
    except ValidationError as e:
        return render(request, "risk/cases.html", {**context, "errors": schema_errors(e)}, 422, viewer)
    except DomainError as e:
        return render(request, "risk/cases.html", {**context, "errors": domain_errors(e, ("cursor",), "cursor")},
                      e.status, viewer)  # fmt: skip
    next_url = _next_url("/admin/risk/cases", filters, cursor)
    return render(request, "risk/cases.html", {**context, "cases": cases, "next_url": next_url}, viewer=viewer)


async def _case_page(
    request: Request, viewer: Viewer, case_id: str, status: int = 200, **extra: Any
) -> Response:
    detail = await fraud_desk(request).case(case_id)
    order = detail.order
    context = {
        "detail": detail, "errors": {}, "note_text": "", "review": {}, "attempt": new_attempt(),
        "flash": "", "in_review": order is not None and order.status is OrderStatus.IN_REVIEW,
        "resolved": detail.case.status is CaseStatus.RESOLVED, **extra,
    }  # fmt: skip
    return render(request, "risk/case.html", context, status, viewer)


@router.get("/risk/cases/{case_id}")
async def case_page(request: Request, case_id: str, viewer: Reader, done: str | None = None) -> Response:
    return await _case_page(request, viewer, case_id, flash=flash(done, DONE))


@router.post("/risk/cases/{case_id}/assign")
async def assign_to_me(request: Request, case_id: str, viewer: Reviewer) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    body = AssignIn(analyst_id=viewer.user.id)
    try:
        await fraud_desk(request).assign(acting(request, viewer.user), case_id, body.analyst_id, attempt_of(fields))
    except DomainError as e:
        if e.status == 404:
            raise
        return await _case_page(request, viewer, case_id, e.status, errors=domain_errors(e, ()))
    return RedirectResponse(f"/admin/risk/cases/{case_id}?done=assigned", status_code=303)


@router.post("/risk/cases/{case_id}/notes")
async def add_note(request: Request, case_id: str, viewer: Reviewer) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    text = fields.get("text", "")
    shown = scrubbed({"text": text})["text"]
    try:
        body = NoteIn.model_validate({"text": text})
        await fraud_desk(request).note(acting(request, viewer.user), case_id, body.text, attempt_of(fields))
    except ValidationError as e:
        return await _case_page(request, viewer, case_id, 422, errors=schema_errors(e), note_text=shown)
    except DomainError as e:
        if e.status == 404:
            raise
        errs = domain_errors(e, ("text",), "text")
        return await _case_page(request, viewer, case_id, e.status, errors=errs, note_text=shown)
    return RedirectResponse(f"/admin/risk/cases/{case_id}?done=noted", status_code=303)


def _review_fields(fields: dict[str, str]) -> dict[str, Any]:
    """The form as ReviewIn's input: the block checkbox is "yes" when ticked."""
    block = fields.get("block", "")
    return {"action": fields.get("action", ""), "note": fields.get("note", ""),
            "block": True if block == "yes" else False if block == "" else block}  # fmt: skip


@router.post("/risk/orders/{order_id}/review")
async def review_order(request: Request, order_id: str, viewer: Reviewer) -> Response:
    """Approve straight away; decline and confirm fraud show what will happen first and need
    the confirming post (`confirm=yes`)."""
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    if not ORDER_ID.match(order_id):
        raise errors.not_found("No such order")
    case_id = f"case_{order_id}"
    back = "queue" if fields.get("back") == "queue" else "case"
    typed = scrubbed({"action": fields.get("action", ""), "note": fields.get("note", ""),
                      "block": fields.get("block") == "yes"})  # fmt: skip
    try:
        body = ReviewIn.model_validate(_review_fields(fields))
    except ValidationError as e:
        return await _case_page(request, viewer, case_id, 422, errors=schema_errors(e), review=typed)
    if body.action in CONFIRMED_ACTIONS and fields.get("confirm") != "yes":
        context = {"order_id": order_id, "case_id": case_id, "body": body, "back": back,
                   "attempt": attempt_of(fields) or new_attempt()}  # fmt: skip
        return render(request, "risk/review_confirm.html", context, viewer=viewer)
    try:
        await fraud_desk(request).review(
            acting(request, viewer.user), order_id, body.action, body.note, body.block, attempt_of(fields)
        )
    except DomainError as e:
        if e.status == 404:
            raise
        return await _case_page(request, viewer, case_id, e.status, errors=domain_errors(e, ("note",)), review=typed)
    done = body.action.value
    target = f"/admin/risk/reviews?done={done}" if back == "queue" else f"/admin/risk/cases/{case_id}?done={done}"
    return RedirectResponse(target, status_code=303)
