"""Rows for report tests, inserted straight into a migrated test database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from tests.builders import T0

ORDER_COLUMNS = (
    "order_id", "company_id", "product_id", "product_type", "provider", "amount_value", "fee_value",
    "currency", "status", "status_reason", "recipient_kind", "card_last4", "end_user_id",
    "external_id", "sandbox", "created_at", "updated_at", "version", "snapshot",
)  # fmt: skip

LEDGER_COLUMNS = (
    "entry_id", "company_id", "currency", "kind", "amount", "source", "target", "at", "order_id",
    "available_after", "reserved_after",
)  # fmt: skip

REQUEST_COLUMNS = (
    "request_id", "direction", "at", "company_id", "method", "path", "status", "correlation_id",
)  # fmt: skip


def order(n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "order_id": f"ord_{n:032x}",
        "company_id": "cmp_a",
        "product_id": "card-transfer-eur",
        "product_type": "card_transfer",
        "provider": "bank_a",
        "amount_value": 1000 + n,
        "fee_value": 10,
        "currency": "EUR",
        "status": "completed",
        "status_reason": "",
        "recipient_kind": "card",
        "card_last4": "1111",
        "end_user_id": f"user-{n % 3}",
        "external_id": f"ext-{n}",
        "sandbox": 1,
        "created_at": T0 + timedelta(minutes=n),
        "updated_at": T0 + timedelta(minutes=n),
        "version": 1,
        "snapshot": "{}",
    }
    values.update(overrides)
    return values


async def insert(ch: ClickHouse, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    await ch.insert(table, [tuple(r[c] for c in columns) for r in rows], columns)


async def insert_orders(ch: ClickHouse, rows: list[dict[str, Any]]) -> None:
    await insert(ch, "orders", ORDER_COLUMNS, rows)
