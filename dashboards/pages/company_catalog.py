"""A company's catalog: which products it may order, each on the product's terms or its own
range and fee. Readers see it (companies.read); companies.write saves it, as
PUT /staff/v1/companies/{id}/catalog does, through the same schema and use case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.catalog_schemas import CompanyCatalogPut
from api.deps import services
from api.staff.auth import acting
from dashboards.amounts import AmountError, as_typed, parse_optional_amount
from dashboards.pages.company_common import FORM_LEVEL, Reader, Writer, company_of
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of
from domain.catalog import (
    BASIS_POINTS,
    MAX_MINOR_UNITS,
    PRODUCT_ID,
    CompanyProduct,
    Product,
)
from domain.companies import Company
from domain.errors import DomainError

router = APIRouter(include_in_schema=False)
TERMS = ("min", "max", "fee_fixed", "fee_bp")
_BASIS_POINTS = re.compile(r"^[0-9]{1,5}$")


@dataclass(frozen=True, slots=True)
class Row:
    product: Product
    enabled: bool
    typed: dict[str, str]  # the term fields as typed (or as saved)


def _saved_terms(choice: CompanyProduct | None, product: Product, viewer: Viewer) -> dict[str, str]:
    if choice is None:
        return {term: "" for term in TERMS}
    c, locale = product.currency, viewer.locale
    fee = choice.fee
    return {
        "min": as_typed(choice.min_amount, c, locale), "max": as_typed(choice.max_amount, c, locale),
        "fee_fixed": as_typed(fee.fixed, c, locale) if fee else "",
        "fee_bp": str(fee.basis_points) if fee else "",
    }  # fmt: skip


def _page(request: Request, viewer: Viewer, company: Company, rows: list[Row],
          found: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    context = {"company": company, "rows": rows, "errors": found or {}}
    return render(request, "companies/catalog.html", context, status=status, viewer=viewer)


def _products(request: Request) -> list[Product]:
    return sorted((r.product for r in services(request).staff.catalog.products()), key=lambda p: p.id)


@router.get("/companies/{company_id}/catalog")
async def catalog_form(request: Request, company_id: str, viewer: Reader) -> Response:
    company = services(request).staff.catalog.company_catalog(company_of(request, company_id).id)
    chosen = {c.product_id: c for c in company.catalog}
    rows = [Row(p, p.id in chosen, _saved_terms(chosen.get(p.id), p, viewer)) for p in _products(request)]
    return _page(request, viewer, company, rows)


def _choice(product: Product, typed: dict[str, str], viewer: Viewer, found: dict[str, str]) -> dict[str, Any]:
    """One enabled product as the JSON API's CompanyProductIn body; problems go to `found`."""
    body: dict[str, Any] = {"product_id": product.id}
    for term, key in (("min", "min_amount"), ("max", "max_amount"), ("fee_fixed", "fixed")):
        try:
            body[key] = parse_optional_amount(typed[term], product.currency, viewer.locale, max_minor=MAX_MINOR_UNITS)
        except AmountError as error:
            found[f"{term}.{product.id}"] = viewer.t("amount." + error.code)
    bp = typed["fee_bp"].strip()
    if bp and (not _BASIS_POINTS.match(bp) or int(bp) > BASIS_POINTS):
        found[f"fee_bp.{product.id}"] = viewer.t("companies.catalog.err.basis_points")
    fixed = body.pop("fixed", None)
    if fixed is not None or bp:
        body["fee"] = {"fixed": fixed or 0, "basis_points": int(bp) if _BASIS_POINTS.match(bp) else 0}
    return body


@router.post("/companies/{company_id}/catalog")
async def save_catalog(request: Request, company_id: str, viewer: Writer) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    company = company_of(request, company_id)
    products = _products(request)
    known = {p.id for p in products}
    found: dict[str, str] = {}
    # A product the form did not offer (an edited form) is refused, not silently dropped.
    strangers = [name[3:] for name in fields if name.startswith("on.") and name[3:] not in known]
    if strangers:
        shown = strangers[0][:64] if PRODUCT_ID.match(strangers[0][:64]) else "?"
        found[FORM_LEVEL] = viewer.t("companies.catalog.err.unknown", product=shown)
    rows, bodies = [], []
    for product in products:
        typed = {term: fields.get(f"{term}.{product.id}", "")[:60] for term in TERMS}
        enabled = fields.get(f"on.{product.id}") == "yes"
        rows.append(Row(product, enabled, typed))
        if enabled:
            bodies.append(_choice(product, typed, viewer, found))
    if not found:
        try:
            choices = CompanyCatalogPut.model_validate({"products": bodies}).choices()
        except ValidationError as exc:
            found[FORM_LEVEL] = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())[:500]
    if found:
        return _page(request, viewer, company, rows, found, status=422)
    try:
        await services(request).staff.catalog.set_company_catalog(acting(request, viewer.user), company.id, choices)
    except DomainError as error:
        return _page(request, viewer, company, rows, {FORM_LEVEL: error.detail}, status=error.status)
    return RedirectResponse(f"/admin/companies/{company.id}?done=catalog#catalog", status_code=303)
