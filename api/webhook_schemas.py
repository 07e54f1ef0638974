"""Wire schemas of the partner's webhook endpoint. Unknown fields are refused, types strict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.errors import InvalidCommand
from domain.webhook_endpoints import MAX_URL_LENGTH, check_event_types, check_webhook_url
from domain.webhooks import WebhookEndpoint, WebhookEventType

EventTypeName = Literal[
    "order.completed", "order.failed", "order.declined", "order.in_review", "balance.low",
    "fraud.suspected",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WebhookEndpointPut(_Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)] = Field(
        description="https:// (plain http:// only with a sandbox key, for local testing)"
    )
    event_types: list[EventTypeName] = Field(
        default_factory=lambda: [t.value for t in WebhookEventType], min_length=1, max_length=20,
        description="Defaults to every event type.",
    )

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        try:  # the scheme (https, or http for sandbox keys) is checked against the key later
            return check_webhook_url(value, allow_http=True)
        except InvalidCommand as exc:
            raise ValueError(exc.detail) from None

    def types(self) -> tuple[WebhookEventType, ...]:
        return check_event_types(tuple(WebhookEventType(t) for t in self.event_types))


class WebhookEndpointOut(BaseModel):
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    event_types: list[str]
    enabled: bool
    updated_at: datetime

    @classmethod
    def fields_of(cls, e: WebhookEndpoint) -> dict[str, object]:
        return {"url": e.url, "event_types": [t.value for t in e.event_types],
                "enabled": e.enabled, "updated_at": e.updated_at}  # fmt: skip

    @classmethod
    def from_endpoint(cls, e: WebhookEndpoint) -> WebhookEndpointOut:
        return cls(**cls.fields_of(e))  # type: ignore[arg-type]


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(
        description="Standard Webhooks signing secret (whsec_…). Store it: GET never shows it."
    )
