"""The order detail (latest state, fraud decision, webhooks and the whole timeline) and the
request viewer (one logged exchange, sanitized).

Both call the order timelines use cases the staff JSON routes call (api/staff/order_routes.py)
and show what those routes encode (OrderDetailOut, LoggedRequestDetailOut), with the same
permissions. An id that is not one this platform makes, or names nothing, is the 404 page.
Bodies are sanitized by the use case; pretty-printing them re-sanitizes (dashboards/bodies.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import errors
from api.deps import services
from api.staff.order_timeline_schemas import ExchangeItem, LoggedRequestDetailOut, OrderDetailOut
from api.staff.order_timeline_service import OrderTimelines
from dashboards.bodies import shown_body
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.fraud import case_id_for_order
from domain.fraud_views import ORDER_ID
from domain.orders import OrderStatus, order_id_for
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
OrderReader = Annotated[Viewer, Depends(viewer_with(Permission.ORDERS_READ))]
ReportReader = Annotated[Viewer, Depends(viewer_with(Permission.REPORTS_READ))]


def _timelines(request: Request) -> OrderTimelines:
    timelines = services(request).staff.orders
    if timelines is None:  # as the JSON route: this process does not read ClickHouse
        raise errors.Problem(503, "orders-unavailable", "Order details are not available here")
    return timelines


def rule_id_of(fired: str) -> str:
    """`many_to_one@3` (a rule as decisions name it, with its version) → `many_to_one`."""
    return fired.partition("@")[0]


def _bodies(detail: OrderDetailOut) -> dict[str, tuple[str, str]]:
    return {
        item.id: (shown_body(item.request_body), shown_body(item.response_body))
        for item in detail.timeline
        if isinstance(item, ExchangeItem)
    }


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: str, viewer: OrderReader) -> Response:
    detail = OrderDetailOut.from_detail(await _timelines(request).detail(order_id))
    o = detail.order
    in_review = o.status == OrderStatus.IN_REVIEW.value
    metadata = shown_body(json.dumps(o.metadata, ensure_ascii=False)) if o.metadata else ""
    context: dict[str, Any] = {
        "d": detail,
        "o": o,
        "bodies": _bodies(detail),
        "metadata": metadata,
        "rule_id_of": rule_id_of,
        "case_href": f"/admin/risk/cases/{case_id_for_order(o.order_id)}" if in_review and viewer.may(Permission.RISK_REVIEW) else "",
    }  # fmt: skip
    return render(request, "orders/detail.html", context, viewer=viewer)


def order_of(r: LoggedRequestDetailOut) -> str:
    """The order an exchange is about: a provider call's correlation id is the order id; a
    partner's accepted POST /v1/orders created the order named after its request id."""
    if ORDER_ID.match(r.correlation_id):
        return r.correlation_id
    created = order_id_for(r.request_id)
    accepted = r.direction == "inbound" and r.method == "POST" and r.path == "/v1/orders" and 200 <= r.status < 300
    return created if accepted and ORDER_ID.match(created) else ""


@router.get("/request-log/{request_id}")
async def request_page(request: Request, request_id: str, viewer: ReportReader) -> Response:
    logged = LoggedRequestDetailOut.from_view(await _timelines(request).request(request_id))
    context: dict[str, Any] = {
        "r": logged,
        "request_body": shown_body(logged.request_body),
        "response_body": shown_body(logged.response_body),
        "order_id": order_of(logged) if viewer.may(Permission.ORDERS_READ) else "",
    }
    return render(request, "request_log/detail.html", context, viewer=viewer)
