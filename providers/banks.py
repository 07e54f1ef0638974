"""Card-transfer banks A and B: the same API under different prefixes and names."""

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

BANK_A = ("bank-a", "/bank-a")
BANK_B = ("bank-b", "/bank-b")


class BankTransferProvider(HttpProvider):
    """`POST {prefix}/v1/transfers {order_id, amount, card_number, reference}`."""

    pay_path = "/v1/transfers"

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        if request.product_type is not ProductType.CARD_TRANSFER:
            raise ValueError(f"{self.name} pays card transfers, not {request.product_type.value}")
        if not request.card_number:
            raise ValueError("a card transfer needs the card number")
        return {
            "order_id": request.order_id,
            "amount": money_json(request),
            "card_number": request.card_number,
            "reference": request.order_id,
        }


def bank_a(
    client: httpx.AsyncClient,
    config: ProviderConfig | None = None,
    on_call: CallHook = IGNORE_CALLS,
    sleep: Sleep = DEFAULT_SLEEP,
) -> BankTransferProvider:
    name, prefix = BANK_A
    return BankTransferProvider(
        client, name=name, prefix=prefix, config=config, on_call=on_call, sleep=sleep
    )


def bank_b(
    client: httpx.AsyncClient,
    config: ProviderConfig | None = None,
    on_call: CallHook = IGNORE_CALLS,
    sleep: Sleep = DEFAULT_SLEEP,
) -> BankTransferProvider:
    name, prefix = BANK_B
    return BankTransferProvider(
        client, name=name, prefix=prefix, config=config, on_call=on_call, sleep=sleep
    )
