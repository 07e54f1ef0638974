"""Partner order routes: decode, call one use case, encode."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api import errors
from api.deps import authenticate, idempotency_key, prefer_wait, require_json, services
from api.order_list_schemas import OrderList, OrderListParams
from api.schemas import OrderCreate, OrderOut
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["orders"])
_ORDER_ID = re.compile(r"^ord_[0-9a-f]{32}$")


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    responses={200: {"description": "Replay: same key and body"}, 202: {"description": "Still processing after the wait"}},
)
async def create_order(
    request: Request,
    response: Response,
    key: Annotated[ApiKey, Depends(authenticate)],
    _json: Annotated[None, Depends(require_json)],
    idem_key: Annotated[str, Depends(idempotency_key)],
    wait: Annotated[float | None, Depends(prefer_wait)],
    body: OrderCreate,
) -> OrderOut:
    result = await services(request).orders.create(
        key, idem_key, body, wait, request.state.request_id, request.state.received_at
    )
    response.status_code = result.http_status
    response.headers["Location"] = f"/v1/orders/{result.order.id}"
    if result.wait_applied is not None:
        response.headers["Preference-Applied"] = f"wait={result.wait_applied:g}"
    delivery = services(request).orders.delivery(result.order, key.company_id)
    return OrderOut.from_order(result.order, delivery)


@router.get("/orders", response_model=OrderList)
async def list_orders(
    request: Request,
    key: Annotated[ApiKey, Depends(authenticate)],
    params: Annotated[OrderListParams, Query()],
) -> OrderList:
    """This company's orders, newest first, filtered, one page at a time (`next_cursor`).
    Orders appear here within moments of being created; GET /v1/orders/{id} is immediate."""
    page = await services(request).orders.list_orders(
        key.company_id, params.to_filter(), params.cursor, params.limit
    )
    return OrderList(data=[OrderOut.from_order(o) for o in page.orders], next_cursor=page.next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(
    request: Request, order_id: str, key: Annotated[ApiKey, Depends(authenticate)]
) -> OrderOut:
    if not _ORDER_ID.match(order_id):
        raise errors.not_found("No such order for this key")  # never echo: it may be anything
    orders = services(request).orders
    order = await orders.get(key.company_id, order_id)
    return OrderOut.from_order(order, orders.delivery(order, key.company_id))
