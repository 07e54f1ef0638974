"""Partner route: `GET /v1/balance`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.balance_schemas import BalanceOut, BalancesOut
from api.deps import authenticate, services
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["balance"])


@router.get("/balance", response_model=BalancesOut)
async def get_balance(request: Request, key: Annotated[ApiKey, Depends(authenticate)]) -> BalancesOut:
    accounts = services(request).balances.accounts(key.company_id)
    return BalancesOut(company_id=key.company_id, balances=[BalanceOut.from_account(a) for a in accounts])
