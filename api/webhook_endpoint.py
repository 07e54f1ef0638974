"""Partner routes for its webhook endpoint: decode, call one use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import authenticate, require_json, services
from api.webhook_endpoint_service import PartnerCall
from api.webhook_schemas import WebhookEndpointOut, WebhookEndpointPut, WebhookEndpointWithSecret
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["webhooks"])
Key = Annotated[ApiKey, Depends(authenticate)]


def _call(request: Request, key: ApiKey) -> PartnerCall:
    ip = request.client.host if request.client else ""
    return PartnerCall(key, request.state.request_id, ip, request.state.received_at)


@router.put(
    "/webhook-endpoint",
    response_model=WebhookEndpointWithSecret,
    responses={201: {"description": "Created, with a new signing secret"}},
)
async def put_webhook_endpoint(
    request: Request,
    response: Response,
    key: Key,
    _json: Annotated[None, Depends(require_json)],
    body: WebhookEndpointPut,
) -> WebhookEndpointWithSecret:
    result = await services(request).webhooks.put(_call(request, key), body.url, body.types())
    response.status_code = 201 if result.created else 200
    fields = WebhookEndpointOut.fields_of(result.endpoint)
    return WebhookEndpointWithSecret(**fields, secret=result.secret)  # type: ignore[arg-type]


@router.get("/webhook-endpoint", response_model=WebhookEndpointOut)
async def get_webhook_endpoint(request: Request, key: Key) -> WebhookEndpointOut:
    return WebhookEndpointOut.from_endpoint(services(request).webhooks.get(key.company_id))


@router.delete("/webhook-endpoint", status_code=204)
async def delete_webhook_endpoint(request: Request, key: Key) -> Response:
    await services(request).webhooks.delete(_call(request, key))
    return Response(status_code=204)


@router.post("/webhook-endpoint/rotate-secret", response_model=WebhookEndpointWithSecret)
async def rotate_webhook_secret(request: Request, key: Key) -> WebhookEndpointWithSecret:
    result = await services(request).webhooks.rotate_secret(_call(request, key))
    fields = WebhookEndpointOut.fields_of(result.endpoint)
    return WebhookEndpointWithSecret(**fields, secret=result.secret)  # type: ignore[arg-type]
