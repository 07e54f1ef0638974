"""Filters of the transactions report, shared by the staff report, the partner order list and
exports. A filter becomes a WHERE clause with named parameters: filter values are only ever
bound as parameters, so a value that looks like SQL is just a value.

Reads of the latest state (`orders FINAL`) use `final_clause`: conditions on columns every
version of an order shares go to PREWHERE, which ClickHouse applies before merging versions,
so whole orders are skipped before the expensive merge (on 10 M orders, the largest company's
pages went from 300-1000 ms to tens of ms; see bench/reports). That is exact only because
all versions of an order agree on those columns: an order is dropped with all its versions
or kept with all of them. Status and provider change between versions (a stale row may say
"approved", the latest "completed"; dispatch sets the provider), so they stay in WHERE, which
FINAL applies to the latest version only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

# Columns an order never changes once it is created (domain.orders.Order: only its history
# grows, and dispatch sets the provider). Only these may be filtered before FINAL.
FIXED_COLUMNS = frozenset({
    "order_id", "company_id", "created_at", "amount_value", "currency", "product_id",
    "product_type", "card_last4", "end_user_id", "external_id", "sandbox",
})  # fmt: skip

# Settings for every `orders FINAL` read. FINAL then merges versions within each partition
# only (and skips merging partitions that hold a single part): exact because the partition key,
# toYYYYMM(created_at), never changes for an order, so all its versions share a partition.
FINAL_SETTINGS: Mapping[str, Any] = MappingProxyType({"do_not_merge_across_partitions_select_final": 1})


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


@dataclass(frozen=True, slots=True)
class Conditions:
    fixed: tuple[str, ...]  # on FIXED_COLUMNS only: safe before FINAL
    changing: tuple[str, ...]  # on columns that differ between versions: after FINAL
    parameters: dict[str, Any]


def conditions(f: TransactionFilter) -> Conditions:
    """The filter's conditions over the `orders` table (columns of migrations 0001/0003/0005),
    split by whether every version of an order agrees on the column."""
    fixed: list[str] = []
    changing: list[str] = []
    params: dict[str, Any] = {}

    def put(column: str, condition: str) -> None:
        (fixed if column in FIXED_COLUMNS else changing).append(condition)

    def add_in(column: str, name: str, values: tuple[str, ...]) -> None:
        if values:
            put(column, f"{column} IN {{{name}:Array(String)}}")
            params[name] = list(values)

    def add(column: str, op: str, name: str, kind: str, value: Any) -> None:
        if value is not None:
            put(column, f"{column} {op} {{{name}:{kind}}}")
            params[name] = value

    if len(f.company_ids) == 1:
        # `=`, not `IN [one]`: with the sort key's first column pinned ClickHouse reads in
        # (reverse) key order, so a page sorted by created_at stops after `limit` rows instead
        # of merging and sorting the company's whole range.
        add("company_id", "=", "company_id", "String", f.company_ids[0])
    else:
        add_in("company_id", "company_ids", f.company_ids)
    add_in("status", "statuses", f.statuses)
    add_in("product_type", "product_types", f.product_types)
    add_in("product_id", "product_ids", f.product_ids)
    add_in("provider", "providers", f.providers)
    at = "DateTime64(3, 'UTC')"
    add("currency", "=", "currency", "String", f.currency)
    add("created_at", ">=", "created_from", at, f.created_from)
    add("created_at", "<", "created_to", at, f.created_to)
    add("amount_value", ">=", "amount_min", "Int64", f.amount_min)
    add("amount_value", "<=", "amount_max", "Int64", f.amount_max)
    add("end_user_id", "=", "end_user_id", "String", f.end_user_id)
    add("card_last4", "=", "card_last4", "String", f.card_last4)
    add("external_id", "=", "external_id", "String", f.external_id)
    add("sandbox", "=", "sandbox", "UInt8", None if f.sandbox is None else int(f.sandbox))
    return Conditions(tuple(fixed), tuple(changing), params)


def where_clause(f: TransactionFilter) -> Where:
    """Every condition in one WHERE clause (right with or without FINAL, never faster)."""
    c = conditions(f)
    parts = c.fixed + c.changing
    return Where(("WHERE " + " AND ".join(parts)) if parts else "", c.parameters)


def final_clause(f: TransactionFilter, fixed: tuple[str, ...] = ()) -> Where:
    """`PREWHERE … WHERE …` to follow `FROM orders FINAL` (read it with FINAL_SETTINGS).
    `fixed`: further conditions (a keyset) on FIXED_COLUMNS only, with the caller's parameters."""
    c = conditions(f)
    pre, post = c.fixed + fixed, c.changing
    clauses = []
    if pre:
        clauses.append("PREWHERE " + " AND ".join(pre))
    if post:
        clauses.append("WHERE " + " AND ".join(post))
    return Where(" ".join(clauses), c.parameters)
