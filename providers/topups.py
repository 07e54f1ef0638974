"""Mobile top-up aggregator: operator by E.164 prefix; unknown prefix declines `unknown_operator`."""

from __future__ import annotations

from typing import Any

from providers.base import PayoutRequest, ProductType
from providers.http import HttpProvider, money_json


class TopUpProvider(HttpProvider):
    """`POST /topup/v1/topups {order_id, phone, amount}`."""

    pay_path = "/v1/topups"
    default_name = "topup"
    default_prefix = "/topup"

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        if request.product_type is not ProductType.MOBILE_TOPUP:
            raise ValueError(f"{self.name} tops up phones, not {request.product_type.value}")
        if not request.phone:
            raise ValueError("a top-up needs a phone number")
        return {"order_id": request.order_id, "phone": request.phone, "amount": money_json(request)}
