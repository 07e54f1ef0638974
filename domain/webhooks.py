"""Partner webhooks: which events a partner receives, and where.

The endpoint is per company, set by the partner (`PUT /v1/webhook-endpoint`) and held by the
company registry. The signing secret travels and rests only encrypted (card vault `seal`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class WebhookEventType(str, enum.Enum):
    ORDER_COMPLETED = "order.completed"
    ORDER_FAILED = "order.failed"
    ORDER_DECLINED = "order.declined"
    ORDER_IN_REVIEW = "order.in_review"
    BALANCE_LOW = "balance.low"
    FRAUD_SUSPECTED = "fraud.suspected"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    url: str  # https:// (http:// only for sandbox keys' local testing)
    event_types: tuple[WebhookEventType, ...]
    secret_ciphertext: str  # vault-sealed "whsec_…"
    updated_at: datetime
    enabled: bool = True

    def wants(self, event_type: WebhookEventType) -> bool:
        return self.enabled and event_type in self.event_types
