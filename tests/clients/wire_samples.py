"""JSON as the partner API sends it (tests/clients/test_wire_samples.py checks the samples
against the API's own response schemas, so they cannot drift from the server)."""

from __future__ import annotations

from typing import Any


def order_json(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "ord_" + "a" * 32, "object": "order", "status": "completed", "status_reason": "paid by bank-a",
        "product_id": "card-transfer-eur", "amount": {"value": 1500, "currency": "EUR"},
        "fee": {"value": 50, "currency": "EUR"},
        "recipient": {"type": "card", "card_bin": "411111", "card_last4": "1111", "phone": None, "email": None},
        "end_user_id": "user-42", "external_id": "ext-1", "metadata": {"campaign": "q4", "n": 3},
        "sandbox": True, "created_at": "2026-11-26T12:00:00.123000Z", "updated_at": "2026-11-26T12:00:01Z",
        "history": [
            {"status": "received", "reason": "accepted", "at": "2026-11-26T12:00:00.123000Z"},
            {"status": "completed", "reason": "paid by bank-a", "at": "2026-11-26T12:00:01Z"},
        ],
        "delivery": None,
    }  # fmt: skip
    order.update(overrides)
    return order


def catalog_product_json(**overrides: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "id": "amazon-de-25", "object": "product", "type": "gift_certificate", "brand": "Amazon.de",
        "currency": "EUR", "denominations": [2500, 5000], "min_amount": None, "max_amount": None,
        "fee": {"fixed": 30, "basis_points": 0},
    }  # fmt: skip
    product.update(overrides)
    return product


def balances_json() -> dict[str, Any]:
    limits = {"per_order": None, "per_day": 500000, "per_month": None, "per_end_user_day": None,
              "per_product_day": {"card-transfer-eur": 100000}}  # fmt: skip
    return {
        "object": "balance", "company_id": "cmp_demo",
        "balances": [
            {"currency": "EUR", "available": 100000000, "reserved": 1550, "credit_limit": 0,
             "spendable": 100000000, "status": "active", "low_balance_threshold": None, "limits": limits},
        ],
    }  # fmt: skip


def webhook_endpoint_json(**overrides: Any) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "object": "webhook_endpoint", "url": "https://partner.example/hooks",
        "event_types": ["order.completed", "order.failed"], "enabled": True,
        "updated_at": "2026-11-26T12:00:00Z", "secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }  # fmt: skip
    endpoint.update(overrides)
    return endpoint


def fraud_report_json(n: int = 1) -> dict[str, Any]:
    return {
        "object": "fraud_report", "id": f"frr_{n}", "order_id": "ord_" + "b" * 32, "external_id": None,
        "end_user": {"id": f"user-{n}"}, "reason": "confirmed fraud", "end_user_blocked": True,
        "created_at": "2026-11-26T12:00:00.123Z",
    }  # fmt: skip


def batch_json(**overrides: Any) -> dict[str, Any]:
    """As fixed by the issue 8 contract (the batches API is built alongside this client)."""
    batch: dict[str, Any] = {
        "id": "bat_1", "object": "batch", "status": "processing", "reference": "payroll-11",
        "format": "csv", "created_at": "2026-11-26T12:00:00Z", "completed_at": None,
        "total_lines": 3, "accepted_lines": 2, "rejected_lines": 1,
        "counts": {"completed": 1, "failed": 0, "in_review": 0, "declined": 0, "rejected": 0, "pending": 1},
        "totals": [{"currency": "EUR", "paid": 1000, "fees": 30}],
    }  # fmt: skip
    batch.update(overrides)
    return batch


def batch_line_json(line: int, rejected: bool = False) -> dict[str, Any]:
    if rejected:
        return {"line": line, "external_id": f"row-{line}", "status": "rejected_line", "order_id": None,
                "errors": [{"pointer": "/recipient/card_number", "code": "invalid", "message": "not a card"}],
                "amount": None}  # fmt: skip
    return {"line": line, "external_id": f"row-{line}", "status": "completed", "order_id": f"ord_{line:032x}",
            "errors": [], "amount": {"value": 1000, "currency": "EUR"}}  # fmt: skip


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"object": "list", "data": items, "next_cursor": next_cursor}
