"""Wire schemas of the partner order list (`GET /v1/orders`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from analytics.reports.common import MAX_PAGE
from analytics.reports.filters import TransactionFilter
from api import errors
from api.schemas import OrderOut
from api.time_params import within_store_range
from domain.orders import OrderStatus

# Filters only match (parameterized), so any printable text is a filter that finds nothing at
# worst; control characters are refused, as everywhere.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class OrderListParams(BaseModel):
    """Filters match all of their kinds and any value of a repeated one; `from` inclusive,
    `to` exclusive (when the order was created)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: list[OrderStatus] = Field(default_factory=list, max_length=20)
    product_id: list[Text] = Field(default_factory=list, max_length=100)
    created_from: AwareDatetime | None = Field(None, alias="from")
    created_to: AwareDatetime | None = Field(None, alias="to")
    external_id: Text | None = None
    end_user_id: Text | None = None
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    def to_filter(self) -> TransactionFilter:
        """The company is set by the use case (the caller's own); a 422 for an empty range."""
        if self.created_from and self.created_to and self.created_to <= self.created_from:
            raise errors.validation_failed([errors.FieldError("to", "out_of_range", "`to` must be after `from`")])
        return TransactionFilter(
            statuses=tuple(dict.fromkeys(s.value for s in self.status)),
            product_ids=tuple(dict.fromkeys(self.product_id)),
            created_from=self.created_from,
            created_to=self.created_to,
            external_id=self.external_id,
            end_user_id=self.end_user_id,
        )

    @field_validator("created_from", "created_to")
    @classmethod
    def _in_store_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else within_store_range(value)


class OrderList(BaseModel):
    object: Literal["list"] = "list"
    data: list[OrderOut] = Field(description="Newest first; `delivery` is only in GET /v1/orders/{id}")
    next_cursor: str | None = Field(description="Pass as `cursor` (same filters) for the next, older page.")
