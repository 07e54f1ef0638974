"""Wire schemas for balances (partner and staff) and balance commands (staff)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.catalog import PRODUCT_ID
from domain.ledger import Account
from domain.ledger_commands import MAX_AMOUNT

# Free text staff type: no control characters (tab and line breaks are fine).
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_TEXT)]
Minor = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TopUpIn(_Strict):
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="Minor units: 100000 = 1,000.00")
    reference: Annotated[str, StringConstraints(max_length=200, pattern=_TEXT)] = ""


class AdjustmentIn(_Strict):
    amount: int = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Signed minor units, not 0")
    reason: Reason

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment of 0 changes nothing")
        return value


class CreditLimitIn(_Strict):
    credit_limit: Minor


class LowBalanceThresholdIn(_Strict):
    threshold: Minor | None = Field(description="null turns the alert off")


class LimitsIn(_Strict):
    per_order: Minor | None = None
    per_day: Minor | None = None
    per_month: Minor | None = None
    per_end_user_day: Minor | None = None
    per_product_day: dict[Annotated[str, StringConstraints(max_length=64, pattern=PRODUCT_ID.pattern)], Minor] = (
        Field(default_factory=dict, max_length=100)
    )


class BlockIn(_Strict):
    reason: Reason


class LimitsOut(BaseModel):
    per_order: int | None
    per_day: int | None
    per_month: int | None
    per_end_user_day: int | None
    per_product_day: dict[str, int]


class BalanceOut(BaseModel):
    """Amounts in minor units of `currency`. New fields may appear."""

    currency: str
    available: int
    reserved: int
    credit_limit: int
    spendable: int = Field(description="available + credit_limit: the most a new payout can take")
    status: str
    low_balance_threshold: int | None
    limits: LimitsOut

    @classmethod
    def from_account(cls, a: Account) -> BalanceOut:
        limits = a.limits
        return cls(
            currency=a.currency, available=a.available, reserved=a.reserved,
            credit_limit=a.credit_limit, spendable=a.spendable, status=a.status.value,
            low_balance_threshold=a.low_balance_threshold,
            limits=LimitsOut(
                per_order=limits.per_order, per_day=limits.per_day, per_month=limits.per_month,
                per_end_user_day=limits.per_end_user_day, per_product_day=dict(limits.per_product_day),
            ),
        )  # fmt: skip


class BalancesOut(BaseModel):
    object: str = "balance"
    company_id: str
    balances: list[BalanceOut]
