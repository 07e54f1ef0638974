"""Virtual-card issuer: completes at once; `details` holds pan, expiry and cvv (secret)."""

from __future__ import annotations

from typing import Any

from providers.base import PayoutRequest, ProductType
from providers.http import HttpProvider, money_json


class VirtualCardProvider(HttpProvider):
    """`POST /cards/v1/cards {order_id, amount, holder_email?}`."""

    pay_path = "/v1/cards"
    default_name = "cards"
    default_prefix = "/cards"

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        if request.product_type is not ProductType.VIRTUAL_CARD:
            raise ValueError(f"{self.name} issues virtual cards, not {request.product_type.value}")
        body: dict[str, Any] = {"order_id": request.order_id, "amount": money_json(request)}
        if request.email:
            body["holder_email"] = request.email
        return body
