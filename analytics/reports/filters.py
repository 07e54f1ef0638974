"""Filters of the transactions report, shared by the staff report, the partner order list and
exports. A filter becomes a WHERE clause with named parameters: filter values are only ever
bound as parameters, so a value that looks like SQL is just a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    company_ids: tuple[str, ...] = ()  # empty: all companies (staff only)
    statuses: tuple[str, ...] = ()
    product_types: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    currency: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    amount_min: int | None = None  # minor units, inclusive
    amount_max: int | None = None
    end_user_id: str | None = None
    card_last4: str | None = None
    external_id: str | None = None
    sandbox: bool | None = None


@dataclass(frozen=True, slots=True)
class Where:
    sql: str  # "" or "WHERE …" with {name:Type} placeholders only
    parameters: dict[str, Any]


def where_clause(f: TransactionFilter) -> Where:
    """The WHERE clause over the `orders` table (column names of migration 0001/0003/0005)."""
    parts: list[str] = []
    params: dict[str, Any] = {}

    def add_in(column: str, name: str, values: tuple[str, ...]) -> None:
        if values:
            parts.append(f"{column} IN {{{name}:Array(String)}}")
            params[name] = list(values)

    def add(condition: str, name: str, value: Any) -> None:
        if value is not None:
            parts.append(condition)
            params[name] = value

    add_in("company_id", "company_ids", f.company_ids)
    add_in("status", "statuses", f.statuses)
    add_in("product_type", "product_types", f.product_types)
    add_in("product_id", "product_ids", f.product_ids)
    add_in("provider", "providers", f.providers)
    add("currency = {currency:String}", "currency", f.currency)
    add("created_at >= {created_from:DateTime64(3, 'UTC')}", "created_from", f.created_from)
    add("created_at < {created_to:DateTime64(3, 'UTC')}", "created_to", f.created_to)
    add("amount_value >= {amount_min:Int64}", "amount_min", f.amount_min)
    add("amount_value <= {amount_max:Int64}", "amount_max", f.amount_max)
    add("end_user_id = {end_user_id:String}", "end_user_id", f.end_user_id)
    add("card_last4 = {card_last4:String}", "card_last4", f.card_last4)
    add("external_id = {external_id:String}", "external_id", f.external_id)
    add("sandbox = {sandbox:UInt8}", "sandbox", None if f.sandbox is None else int(f.sandbox))
    return Where(("WHERE " + " AND ".join(parts)) if parts else "", params)
