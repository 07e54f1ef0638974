"""Staff routes for companies and their API keys: decode, call one use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api import errors
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.company_service import CompanyAdmin
from api.staff.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    CompanyCreate,
    CompanyList,
    CompanyOut,
    CompanyPatch,
)
from domain.companies import COMPANY_ID, CompanyStatus, KeyMode
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: companies"])
Reader = Annotated[StaffUser, Depends(require(Permission.COMPANIES_READ))]
Writer = Annotated[StaffUser, Depends(require(Permission.COMPANIES_WRITE))]
KeyWriter = Annotated[StaffUser, Depends(require(Permission.API_KEYS_WRITE))]
Json = Annotated[None, Depends(require_json)]


def _admin(request: Request) -> CompanyAdmin:
    return services(request).staff.companies


def _company_id(company_id: str) -> str:
    if not COMPANY_ID.match(company_id):
        raise errors.not_found(f"No company {company_id[:70]}")
    return company_id


@router.get("/companies", response_model=CompanyList)
async def list_companies(
    request: Request, _user: Reader, status: Annotated[CompanyStatus | None, Query()] = None
) -> CompanyList:
    return CompanyList(data=[CompanyOut.from_company(c) for c in _admin(request).list(status)])


@router.post("/companies", status_code=201, response_model=CompanyOut)
async def create_company(
    request: Request, response: Response, user: Writer, _json: Json, body: CompanyCreate
) -> CompanyOut:
    company = await _admin(request).create(acting(request, user), body.profile())
    response.headers["Location"] = f"/staff/v1/companies/{company.id}"
    return CompanyOut.from_company(company)


@router.get("/companies/{company_id}", response_model=CompanyOut)
async def get_company(request: Request, company_id: str, _user: Reader) -> CompanyOut:
    return CompanyOut.from_company(_admin(request).get(_company_id(company_id)))


@router.patch("/companies/{company_id}", response_model=CompanyOut)
async def edit_company(
    request: Request, company_id: str, user: Writer, _json: Json, body: CompanyPatch
) -> CompanyOut:
    company = await _admin(request).edit(
        acting(request, user), _company_id(company_id), body.changes()
    )
    return CompanyOut.from_company(company)


@router.post("/companies/{company_id}/deactivate", response_model=CompanyOut)
async def deactivate_company(request: Request, company_id: str, user: Writer) -> CompanyOut:
    company = await _admin(request).set_status(
        acting(request, user), _company_id(company_id), CompanyStatus.INACTIVE
    )
    return CompanyOut.from_company(company)


@router.post("/companies/{company_id}/reactivate", response_model=CompanyOut)
async def reactivate_company(request: Request, company_id: str, user: Writer) -> CompanyOut:
    company = await _admin(request).set_status(
        acting(request, user), _company_id(company_id), CompanyStatus.ACTIVE
    )
    return CompanyOut.from_company(company)


@router.get("/companies/{company_id}/api-keys", response_model=ApiKeyList)
async def list_api_keys(request: Request, company_id: str, _user: Reader) -> ApiKeyList:
    keys = _admin(request).keys(_company_id(company_id))
    return ApiKeyList(data=[ApiKeyOut.from_key(k) for k in keys])


@router.post("/companies/{company_id}/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    request: Request, company_id: str, user: KeyWriter, _json: Json, body: ApiKeyCreate
) -> ApiKeyCreated:
    created = await _admin(request).create_key(
        acting(request, user), _company_id(company_id), KeyMode(body.mode)
    )
    return ApiKeyCreated(**ApiKeyOut.fields_of(created.key), key=created.secret)


@router.post("/companies/{company_id}/api-keys/{prefix}/revoke", response_model=ApiKeyOut)
async def revoke_api_key(
    request: Request, company_id: str, prefix: str, user: KeyWriter
) -> ApiKeyOut:
    key = await _admin(request).revoke_key(
        acting(request, user), _company_id(company_id), prefix[:40]
    )
    return ApiKeyOut.from_key(key)
