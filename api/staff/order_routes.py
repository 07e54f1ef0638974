"""Staff order detail (latest state and whole timeline) and the request viewer: decode, call
the order timelines, encode. Ids that are not ids this platform makes are 404 problems."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api import errors
from api.deps import services
from api.staff.auth import require
from api.staff.order_timeline_schemas import LoggedRequestDetailOut, OrderDetailOut
from api.staff.order_timeline_service import OrderTimelines
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: orders"])
OrderReader = Annotated[StaffUser, Depends(require(Permission.ORDERS_READ))]
ReportReader = Annotated[StaffUser, Depends(require(Permission.REPORTS_READ))]


def _timelines(request: Request) -> OrderTimelines:
    timelines = services(request).staff.orders
    if timelines is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "orders-unavailable", "Order details are not available here")
    return timelines


@router.get("/orders/{order_id}", response_model=OrderDetailOut)
async def order_detail(request: Request, order_id: str, _user: OrderReader) -> OrderDetailOut:
    """The order's latest state, its fraud decision, its webhook messages, and its timeline
    oldest first: status changes, the decision, the partner's request, provider calls,
    webhook attempts, ledger entries and review case events (bodies sanitized)."""
    return OrderDetailOut.from_detail(await _timelines(request).detail(order_id))


@router.get("/request-log/{request_id}", response_model=LoggedRequestDetailOut)
async def logged_request(request: Request, request_id: str, _user: ReportReader) -> LoggedRequestDetailOut:
    """One logged HTTP exchange (inbound, outbound or webhook) with its headers and bodies,
    sanitized; `stored` and `notes` say what the log keeps for its direction."""
    return LoggedRequestDetailOut.from_view(await _timelines(request).request(request_id))
