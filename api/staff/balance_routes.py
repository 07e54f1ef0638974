"""Staff routes for a company's balances: decode, call the balance use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from api import errors
from api.balance_schemas import (
    AdjustmentIn,
    BalanceOut,
    BalancesOut,
    BlockIn,
    CreditLimitIn,
    LimitsIn,
    LowBalanceThresholdIn,
    TopUpIn,
)
from api.balance_service import BalanceService
from api.deps import idempotency_key, require_json, services
from api.staff.auth import acting, require
from domain.ledger import Limits
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.money import is_known_currency
from domain.staff import Permission, StaffUser

router = APIRouter(tags=["staff: balances"])
Reader = Annotated[StaffUser, Depends(require(Permission.BALANCES_READ))]
Writer = Annotated[StaffUser, Depends(require(Permission.BALANCES_WRITE))]
Adjuster = Annotated[StaffUser, Depends(require(Permission.BALANCES_ADJUST))]
Json = Annotated[None, Depends(require_json)]
Currency = Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
BASE = "/companies/{company_id}/balances"


def _balances(request: Request, company_id: str) -> BalanceService:
    services(request).staff.companies.get(company_id)  # 404 problem for an unknown company
    return services(request).balances


def _command(request: Request, company_id: str, currency: str, kind: CommandKind, **fields: object) -> BalanceCommand:
    if not is_known_currency(currency):
        raise errors.validation_failed([errors.FieldError("currency", "unknown", f"unknown currency {currency}")])
    return BalanceCommand(
        command_id=fields.pop("command_id", None) or request.state.request_id,  # type: ignore[arg-type]
        company_id=company_id, kind=kind, currency=currency, actor="", at=request.state.received_at,
        **fields,  # type: ignore[arg-type]
    )  # fmt: skip


async def _apply(request: Request, user: StaffUser, command: BalanceCommand, company_id: str,
                 details: dict[str, object]) -> BalanceOut:  # fmt: skip
    account = await _balances(request, company_id).apply(acting(request, user), command, details)
    return BalanceOut.from_account(account)


@router.get(BASE, response_model=BalancesOut)
async def get_balances(request: Request, company_id: str, _user: Reader) -> BalancesOut:
    accounts = _balances(request, company_id).accounts(company_id)
    return BalancesOut(company_id=company_id, balances=[BalanceOut.from_account(a) for a in accounts])


@router.post(BASE + "/{currency}/top-ups", response_model=BalanceOut)
async def top_up(
    request: Request, company_id: str, currency: Currency, body: TopUpIn, user: Writer, _j: Json,
    key: Annotated[str, Depends(idempotency_key)],
) -> BalanceOut:  # fmt: skip
    """Idempotent by `Idempotency-Key`: a retry answers with the first result, never credits twice."""
    command = _command(request, company_id, currency, CommandKind.TOP_UP, command_id=f"top-up:{key}",
                       amount=body.amount, reference=body.reference)  # fmt: skip
    return await _apply(request, user, command, company_id, {"amount": body.amount, "reference": body.reference})


@router.post(BASE + "/{currency}/adjustments", response_model=BalanceOut)
async def adjust(
    request: Request, company_id: str, currency: Currency, body: AdjustmentIn, user: Adjuster, _j: Json
) -> BalanceOut:
    command = _command(request, company_id, currency, CommandKind.ADJUST, amount=body.amount, reason=body.reason)
    return await _apply(request, user, command, company_id, {"amount": body.amount, "reason": body.reason})


@router.put(BASE + "/{currency}/credit-limit", response_model=BalanceOut)
async def set_credit_limit(
    request: Request, company_id: str, currency: Currency, body: CreditLimitIn, user: Writer, _j: Json
) -> BalanceOut:
    command = _command(request, company_id, currency, CommandKind.SET_CREDIT_LIMIT, credit_limit=body.credit_limit)
    return await _apply(request, user, command, company_id, {"credit_limit": body.credit_limit})


@router.put(BASE + "/{currency}/low-balance-threshold", response_model=BalanceOut)
async def set_low_balance_threshold(
    request: Request, company_id: str, currency: Currency, body: LowBalanceThresholdIn, user: Writer, _j: Json
) -> BalanceOut:
    command = _command(request, company_id, currency, CommandKind.SET_LOW_BALANCE_THRESHOLD,
                       low_balance_threshold=body.threshold)  # fmt: skip
    return await _apply(request, user, command, company_id, {"threshold": body.threshold})


@router.put(BASE + "/{currency}/limits", response_model=BalanceOut)
async def set_limits(
    request: Request, company_id: str, currency: Currency, body: LimitsIn, user: Writer, _j: Json
) -> BalanceOut:
    limits = Limits(body.per_order, body.per_day, body.per_month, body.per_end_user_day,
                    tuple(sorted(body.per_product_day.items())))  # fmt: skip
    command = _command(request, company_id, currency, CommandKind.SET_LIMITS, limits=limits)
    return await _apply(request, user, command, company_id, body.model_dump())


@router.post(BASE + "/{currency}/block", response_model=BalanceOut)
async def block(
    request: Request, company_id: str, currency: Currency, body: BlockIn, user: Writer, _j: Json
) -> BalanceOut:
    command = _command(request, company_id, currency, CommandKind.BLOCK, reason=body.reason)
    return await _apply(request, user, command, company_id, {"reason": body.reason})


@router.post(BASE + "/{currency}/unblock", response_model=BalanceOut)
async def unblock(request: Request, company_id: str, currency: Currency, user: Writer) -> BalanceOut:
    command = _command(request, company_id, currency, CommandKind.UNBLOCK)
    return await _apply(request, user, command, company_id, {})
