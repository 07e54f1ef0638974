"""Card-transfer banks A and B: the same API under different prefixes and names."""

from __future__ import annotations

from typing import Any

import httpx

from providers.base import PayoutRequest, ProductType
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


def bank_a(client: httpx.AsyncClient, *args: Any, **kwargs: Any) -> BankTransferProvider:
    """Bank A: same arguments as any adapter (config, on_call, sleep)."""
    return BankTransferProvider(client, *args, name=BANK_A[0], prefix=BANK_A[1], **kwargs)


def bank_b(client: httpx.AsyncClient, *args: Any, **kwargs: Any) -> BankTransferProvider:
    """Bank B: the same API as bank A, under its own prefix and name."""
    return BankTransferProvider(client, *args, name=BANK_B[0], prefix=BANK_B[1], **kwargs)
