"""Virtual-card issuer: completes at once; `details` holds pan, expiry and cvv (secret)."""

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


class VirtualCardProvider(HttpProvider):
    """`POST /cards/v1/cards {order_id, amount, holder_email?}`."""

    pay_path = "/v1/cards"

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: ProviderConfig | None = None,
        on_call: CallHook = IGNORE_CALLS,
        sleep: Sleep = DEFAULT_SLEEP,
        *,
        name: str = "cards",
        prefix: str = "/cards",
    ) -> None:
        super().__init__(
            client, name=name, prefix=prefix, config=config, on_call=on_call, sleep=sleep
        )

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        if request.product_type is not ProductType.VIRTUAL_CARD:
            raise ValueError(f"{self.name} issues virtual cards, not {request.product_type.value}")
        body: dict[str, Any] = {"order_id": request.order_id, "amount": money_json(request)}
        if request.email:
            body["holder_email"] = request.email
        return body
