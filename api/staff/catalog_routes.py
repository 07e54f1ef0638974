"""Staff routes for the product catalog and each company's catalog: decode, call one use
case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api import errors
from api.catalog_schemas import (
    CompanyCatalogOut,
    CompanyCatalogPut,
    ProductList,
    ProductOut,
    ProductPut,
)
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.catalog_service import CatalogAdmin
from domain.catalog import PRODUCT_ID
from domain.companies import COMPANY_ID
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: catalog"])
Reader = Annotated[StaffUser, Depends(require(Permission.COMPANIES_READ))]
ProductWriter = Annotated[StaffUser, Depends(require(Permission.CATALOG_WRITE))]
CompanyWriter = Annotated[StaffUser, Depends(require(Permission.COMPANIES_WRITE))]
Json = Annotated[None, Depends(require_json)]
ProductIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRODUCT_ID.pattern)]


def _admin(request: Request) -> CatalogAdmin:
    return services(request).staff.catalog


def _company_id(company_id: str) -> str:
    if not COMPANY_ID.match(company_id):
        raise errors.not_found(f"No company {company_id[:70]}")
    return company_id


@router.get("/catalog/products", response_model=ProductList)
async def list_products(request: Request, _user: Reader) -> ProductList:
    return ProductList(data=[ProductOut.from_revision(r) for r in _admin(request).products()])


@router.get("/catalog/products/{product_id}", response_model=ProductOut)
async def get_product(request: Request, product_id: str, _user: Reader) -> ProductOut:
    if not PRODUCT_ID.match(product_id):
        raise errors.not_found(f"No product {product_id[:70]}")
    return ProductOut.from_revision(_admin(request).product(product_id))


@router.put(
    "/catalog/products/{product_id}",
    response_model=ProductOut,
    responses={201: {"description": "Created"}, 409: {"description": "Stale version"}},
)
async def put_product(
    request: Request,
    response: Response,
    product_id: ProductIdPath,
    user: ProductWriter,
    _json: Json,
    body: ProductPut,
) -> ProductOut:
    saved = await _admin(request).put_product(
        acting(request, user), body.product(product_id), body.version
    )
    if saved.created:
        response.status_code = 201
        response.headers["Location"] = f"/staff/v1/catalog/products/{product_id}"
    return ProductOut.from_revision(saved.revision)


@router.get("/companies/{company_id}/catalog", response_model=CompanyCatalogOut)
async def get_company_catalog(request: Request, company_id: str, _user: Reader) -> CompanyCatalogOut:
    return CompanyCatalogOut.from_company(_admin(request).company_catalog(_company_id(company_id)))


@router.put("/companies/{company_id}/catalog", response_model=CompanyCatalogOut)
async def put_company_catalog(
    request: Request, company_id: str, user: CompanyWriter, _json: Json, body: CompanyCatalogPut
) -> CompanyCatalogOut:
    company = await _admin(request).set_company_catalog(
        acting(request, user), _company_id(company_id), body.choices()
    )
    return CompanyCatalogOut.from_company(company)
