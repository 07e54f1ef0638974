"""Wire format of the product catalog: one record per product on the compacted
`catalog.products` topic, keyed by product id. Same conventions as streams.messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.catalog import CompanyProduct, Fee, Product, ProductRevision, ProductType
from streams.messages import MessageError, dumps, loads

_BAD = (KeyError, TypeError, ValueError, AttributeError)


def fee_to_dict(fee: Fee) -> dict[str, int]:
    return {"fixed": fee.fixed, "basis_points": fee.basis_points}


def fee_from_dict(d: dict[str, Any]) -> Fee:
    return Fee(_int(d["fixed"]), _int(d["basis_points"]))


def company_product_to_dict(p: CompanyProduct) -> dict[str, Any]:
    """One product as enabled for a company (held on the company record)."""
    return {
        "product_id": p.product_id,
        "min_amount": p.min_amount,
        "max_amount": p.max_amount,
        "fee": fee_to_dict(p.fee) if p.fee is not None else None,
    }


def company_product_from_dict(d: dict[str, Any]) -> CompanyProduct:
    fee, low, high = d.get("fee"), d.get("min_amount"), d.get("max_amount")
    return CompanyProduct(
        str(d["product_id"]), None if low is None else _int(low), None if high is None else _int(high),
        fee_from_dict(fee) if fee is not None else None,
    )  # fmt: skip


def product_to_dict(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "type": p.type.value,
        "brand": p.brand,
        "currency": p.currency,
        "denominations": list(p.denominations),
        "min_amount": p.min_amount,
        "max_amount": p.max_amount,
        "fee": fee_to_dict(p.fee),
        "provider_code": p.provider_code,
        "available": p.available,
    }


def product_from_dict(d: dict[str, Any]) -> Product:
    return Product(
        id=str(d["id"]),
        type=ProductType(d["type"]),
        brand=str(d["brand"]),
        currency=str(d["currency"]),
        denominations=tuple(_int(x) for x in d["denominations"]),
        min_amount=_int(d["min_amount"]),
        max_amount=_int(d["max_amount"]),
        fee=fee_from_dict(d["fee"]),
        provider_code=str(d["provider_code"]),
        available=bool(d["available"]),
    )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def encode_product_revision(r: ProductRevision) -> bytes:
    return dumps({
        "product": product_to_dict(r.product),
        "version": r.version,
        "updated_at": r.updated_at.isoformat(),
        "updated_by": r.updated_by,
    })  # fmt: skip


def decode_product_revision(raw: bytes | None) -> ProductRevision:
    d = loads(raw)
    try:
        return ProductRevision(
            product_from_dict(d["product"]), _int(d["version"]),
            datetime.fromisoformat(d["updated_at"]), str(d.get("updated_by", "")),
        )  # fmt: skip
    except _BAD as exc:
        raise MessageError(f"bad product record: {exc!r}") from exc
