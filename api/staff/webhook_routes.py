"""Staff routes for partner webhooks: the delivery log and replays (decode, call, encode)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from api import errors
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.webhook_schemas import (
    AttemptOut, CompanyId, DeliveryDetail, DeliveryList, DeliveryOut, ReplayOut, ReplayRangeIn,
    decode_cursor, encode_cursor,
)  # fmt: skip
from api.staff.webhook_service import WebhookAdmin
from domain.staff import Permission, StaffUser
from domain.webhook_log import DeliveryCursor, DeliveryQuery
from domain.webhooks import DeliveryStatus

router = APIRouter(prefix="/webhooks", tags=["staff: webhooks"])
Reader = Annotated[StaffUser, Depends(require(Permission.ORDERS_READ))]
Replayer = Annotated[StaffUser, Depends(require(Permission.WEBHOOKS_REPLAY))]
Json = Annotated[None, Depends(require_json)]
_MESSAGE_ID = re.compile(r"^msg_[0-9a-f]{32}$")


def _admin(request: Request) -> WebhookAdmin:
    admin = services(request).staff.webhooks
    if admin is None:  # this process does not read the delivery log
        raise errors.Problem(503, "webhook-log-unavailable", "The webhook delivery log is not available here")
    return admin


def _message_id(message_id: str) -> str:
    if not _MESSAGE_ID.match(message_id):
        raise errors.not_found(f"No webhook delivery {message_id[:70]}")
    return message_id


def _cursor(value: str | None) -> DeliveryCursor | None:
    if value is None:
        return None
    try:
        return decode_cursor(value)
    except ValueError:
        raise errors.validation_failed(
            [errors.FieldError("cursor", "invalid", "not a cursor from this API")]
        ) from None


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    request: Request,
    _user: Reader,
    company_id: Annotated[CompanyId | None, Query()] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    occurred_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    occurred_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> DeliveryList:
    """Newest first (by when the event occurred); `from` inclusive, `to` exclusive."""
    if occurred_from is not None and occurred_to is not None and occurred_to <= occurred_from:
        raise errors.validation_failed([errors.FieldError("to", "out_of_range", "`to` must be after `from`")])
    query = DeliveryQuery(company_id, status, occurred_from, occurred_to)
    views, after = await _admin(request).deliveries(query, _cursor(cursor), limit)
    return DeliveryList(data=[DeliveryOut.from_view(v) for v in views], next_cursor=encode_cursor(after))


@router.get("/deliveries/{message_id}", response_model=DeliveryDetail)
async def get_delivery(request: Request, message_id: str, _user: Reader) -> DeliveryDetail:
    view, attempts = await _admin(request).delivery(_message_id(message_id))
    return DeliveryDetail(
        **DeliveryOut.from_view(view).model_dump(), attempt_log=[AttemptOut.from_view(a) for a in attempts]
    )


@router.post("/deliveries/{message_id}/replay", status_code=202, response_model=ReplayOut)
async def replay_delivery(request: Request, message_id: str, user: Replayer) -> ReplayOut:
    """Send the message again (same `webhook-id`, a fresh retry schedule); the notify agent
    delivers it, in order after earlier queued messages of the same order."""
    replay_id, view = await _admin(request).replay(acting(request, user), _message_id(message_id))
    return ReplayOut(replay_id=replay_id, count=1, message_ids=[view.message.id])


@router.post("/replay", status_code=202, response_model=ReplayOut)
async def replay_range(
    request: Request, response: Response, user: Replayer, _json: Json, body: ReplayRangeIn
) -> ReplayOut:
    """Every delivery of the company whose event occurred in [from, to), whatever its status."""
    services(request).staff.companies.get(body.company_id)  # 404 problem for an unknown company
    replay_id, count = await _admin(request).replay_range(
        acting(request, user), body.company_id, body.occurred_from, body.occurred_to
    )
    response.headers["Location"] = f"/staff/v1/webhooks/deliveries?company_id={body.company_id}"
    return ReplayOut(replay_id=replay_id, count=count, message_ids=[])
