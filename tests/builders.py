"""Test data builders shared by the suite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.cards import with_luhn_digit
from domain.money import Money
from domain.orders import EndUser, OrderRequest, Recipient, RecipientKind

T0 = datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)


def order_request(**overrides: Any) -> OrderRequest:
    values: dict[str, Any] = {
        "request_id": "01a2000000000000000000000000000a",
        "company_id": "cmp_a",
        "idempotency_key": "key-1",
        "body_hash": "hash-1",
        "product_id": "card-transfer-eur",
        "amount": Money(1500, "EUR"),
        "recipient": Recipient(RecipientKind.PHONE, phone="+4915112345678"),
        "end_user": EndUser("user-1"),
        "received_at": T0,
    }
    values.update(overrides)
    return OrderRequest(**values)


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_id": "card-transfer-eur",
        "amount": {"value": 1500, "currency": "EUR"},
        "recipient": {"card_number": "4111 1111 1111 1111"},
        "end_user": {"id": "user-42", "ip": "203.0.113.7"},
    }
    body.update(overrides)
    return body


def card_number(i: int) -> str:
    """A distinct Luhn-valid test card per index (BIN 411111, which the sandbox banks pay)."""
    return with_luhn_digit(f"411111{i % 10**9:09d}")
