"""The transactions page's query → the staff report's own parameter models.

The page's fields are the report API's query parameters, except the amounts: people type
them as decimals of the currency (12.50), the API takes minor units (1250). They are
converted exactly (Decimal, never float) with the chosen currency's exponent (2 without one),
and a value with more decimals than the currency has is refused, not rounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from api import errors
from api.staff.export_routes import ExportCreate
from api.staff.report_params import TransactionFilterParams
from api.staff.report_schemas import TransactionReportParams
from dashboards.params import Items, decode
from domain.money import CURRENCY_EXPONENTS

F = TypeVar("F", bound=TransactionFilterParams)
AMOUNTS = ("amount_min", "amount_max")
NOT_FILTERS = ("sort", "order", "cursor", "limit")  # the listing's own state, not what it selects
_DECIMAL = re.compile(r"^[0-9]{1,16}(?:\.[0-9]{1,8})?$")
_SPACES = re.compile(r"[\s\u00a0\u202f_']")


def exponent_of(items: Items) -> int:
    currency = next((v for k, v in reversed(items) if k == "currency"), "")
    return CURRENCY_EXPONENTS.get(currency.strip(), 2)


def minor_units(text: str, exponent: int) -> int:
    """`1 234,50` or `1,234.50` or `1234.5` → 123450 (exponent 2). ValueError("decimal") when
    it is not an amount, ValueError("decimal_places") when it has more decimals than the
    currency."""
    compact = _SPACES.sub("", text.strip())[:40]
    if "," in compact and "." in compact:
        compact = compact.replace(",", "")  # 1,234.50: commas group thousands
    else:
        compact = compact.replace(",", ".")  # 12,50: a decimal comma (ru)
    if not _DECIMAL.match(compact):
        raise ValueError("decimal")
    try:
        scaled = Decimal(compact).scaleb(exponent)
    except InvalidOperation:
        raise ValueError("decimal") from None
    if scaled != scaled.to_integral_value():
        raise ValueError("decimal_places")
    return int(scaled)


def _in_minor_units(items: Items) -> tuple[Items, list[errors.FieldError]]:
    exponent = exponent_of(items)
    converted: Items = []
    faults: list[errors.FieldError] = []
    for name, value in items:
        if name in AMOUNTS:
            try:
                value = str(minor_units(value, exponent))
            except ValueError as bad:
                faults.append(errors.FieldError(f"/query/{name}", str(bad), "not an amount of the currency"))
                continue
        converted.append((name, value))
    return converted, faults


def _decoded(model: type[F], items: Items) -> F:
    converted, faults = _in_minor_units(items)
    try:
        params = decode(model, converted)
    except errors.Problem as problem:
        raise errors.validation_failed(faults + problem.errors) from None
    if faults:
        raise errors.validation_failed(faults)
    return params


def report_params(items: Items) -> TransactionReportParams:
    """The page's query as the report route's parameters; the route's 422 problem if invalid."""
    return _decoded(TransactionReportParams, items)


def export_params(items: Items) -> ExportCreate:
    """A posted export form (format and the page's filters) as the export route's body."""
    return _decoded(ExportCreate, items)


def filter_items(items: Iterable[tuple[str, str]]) -> Items:
    """The page's filters without its sort, page and cursor (what an export selects)."""
    return [(k, v) for k, v in items if k not in NOT_FILTERS]


def api_query(params: TransactionFilterParams) -> Items:
    """The filters as the JSON API's query (minor units, ISO times), for the direct-export links."""
    data = params.model_dump(
        mode="json", by_alias=True, exclude_none=True, include=set(TransactionFilterParams.model_fields)
    )
    items: Items = []
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((name, ("true" if one else "false") if isinstance(one, bool) else str(one)))
    return items
