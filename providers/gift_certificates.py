"""Gift-certificate supplier: codes from stock; `details.code` is secret; 409 out_of_stock declines."""

from __future__ import annotations

from typing import Any

import httpx

from providers.base import (
    DEFAULT_SLEEP,
    IGNORE_CALLS,
    CallHook,
    PayoutRequest,
    ProductType,
    ProviderConfig,
    Sleep,
)
from providers.http import HttpProvider, money_json


class GiftCertificateProvider(HttpProvider):
    """`POST /gifts/v1/certificates {order_id, product_code, denomination}`."""

    pay_path = "/v1/certificates"

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: ProviderConfig | None = None,
        on_call: CallHook = IGNORE_CALLS,
        sleep: Sleep = DEFAULT_SLEEP,
        *,
        name: str = "gifts",
        prefix: str = "/gifts",
    ) -> None:
        super().__init__(
            client, name=name, prefix=prefix, config=config, on_call=on_call, sleep=sleep
        )

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
