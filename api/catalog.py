"""Partner route: `GET /v1/catalog`, the products this company may order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.catalog_schemas import CatalogOut, CatalogProductOut
from api.deps import authenticate, services
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["catalog"])


@router.get("/catalog", response_model=CatalogOut)
async def get_catalog(request: Request, key: Annotated[ApiKey, Depends(authenticate)]) -> CatalogOut:
    products = services(request).catalog.for_company(key.company_id)
    return CatalogOut(data=[CatalogProductOut.from_product(p) for p in products])
