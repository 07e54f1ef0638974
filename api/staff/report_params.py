"""The transactions filter as staff send it: query parameters of the report and its direct
exports, or the body of an export job. One model for both, decoded into a TransactionFilter.

Repeatable parameters (`company_id`, `status`, `product_type`, `product_id`, `provider`)
match any of their values; `from` is inclusive, `to` exclusive; amounts are minor units of the
order's currency (with `currency` they mean one currency's amounts). Unknown parameters are a
422, so a misspelt filter never silently widens an export.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from analytics.reports.filters import TransactionFilter
from api import errors
from api.time_params import QueryTime
from domain.catalog import ProductType
from domain.companies import COMPANY_ID
from domain.orders import OrderStatus

CompanyId = Annotated[str, StringConstraints(pattern=COMPANY_ID.pattern)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MAX_VALUES = 100  # per repeatable parameter


class TransactionFilterParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    company_id: list[CompanyId] = Field(default_factory=list, max_length=MAX_VALUES)
    status: list[OrderStatus] = Field(default_factory=list, max_length=MAX_VALUES)
    product_type: list[ProductType] = Field(default_factory=list, max_length=MAX_VALUES)
    product_id: list[Name] = Field(default_factory=list, max_length=MAX_VALUES)
    provider: list[Name] = Field(default_factory=list, max_length=MAX_VALUES)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    created_from: QueryTime | None = Field(None, alias="from")
    created_to: QueryTime | None = Field(None, alias="to")
    amount_min: int | None = Field(None, ge=0, le=10**15)
    amount_max: int | None = Field(None, ge=0, le=10**15)
    end_user_id: Text | None = None
    card_last4: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None
    external_id: Text | None = None
    sandbox: bool | None = None

    def to_filter(self, pointer_prefix: str = "") -> TransactionFilter:
        """A 422 problem when the ranges are upside down."""
        faults = []
        if self.created_from and self.created_to and self.created_to <= self.created_from:
            faults.append(errors.FieldError(f"{pointer_prefix}to", "out_of_range", "`to` must be after `from`"))
        if self.amount_min is not None and self.amount_max is not None and self.amount_max < self.amount_min:
            faults.append(
                errors.FieldError(f"{pointer_prefix}amount_max", "out_of_range", "must be at least amount_min")
            )
        if faults:
            raise errors.validation_failed(faults)
        return TransactionFilter(
            company_ids=tuple(dict.fromkeys(self.company_id)),
            statuses=tuple(dict.fromkeys(s.value for s in self.status)),
            product_types=tuple(dict.fromkeys(t.value for t in self.product_type)),
            product_ids=tuple(dict.fromkeys(self.product_id)),
            providers=tuple(dict.fromkeys(self.provider)),
            currency=self.currency,
            created_from=self.created_from,
            created_to=self.created_to,
            amount_min=self.amount_min,
            amount_max=self.amount_max,
            end_user_id=self.end_user_id,
            card_last4=self.card_last4,
            external_id=self.external_id,
            sandbox=self.sandbox,
        )
