"""Gift-certificate supplier: codes from stock; `details.code` is secret; 409 out_of_stock declines."""

from __future__ import annotations

from typing import Any

from providers.base import PayoutRequest, ProductType
from providers.http import HttpProvider, money_json


class GiftCertificateProvider(HttpProvider):
    """`POST /gifts/v1/certificates {order_id, product_code, denomination}`."""

    pay_path = "/v1/certificates"
    default_name = "gifts"
    default_prefix = "/gifts"

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        if request.product_type is not ProductType.GIFT_CERTIFICATE:
            raise ValueError(
                f"{self.name} sells gift certificates, not {request.product_type.value}"
            )
        if not request.product_code:
            raise ValueError("a gift certificate needs a product code")
        return {
            "order_id": request.order_id,
            "product_code": request.product_code,
            "denomination": money_json(request),
        }
