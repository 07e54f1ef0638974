"""Wire schemas of the staff report routes: query models and responses."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from analytics.reports.aggregates import AggregateRow
from analytics.reports.common import MAX_PAGE
from analytics.reports.request_log import LoggedRequest, RequestLogQuery
from analytics.reports.statements import Balance, Movement, Statement
from analytics.reports.transactions import (
    CurrencyTotals,
    SortField,
    Totals,
    Transaction,
)
from api.staff.report_params import CompanyId, TransactionFilterParams
from api.time_params import QueryTime

Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class SortOrder(str, enum.Enum):
    ASC = "asc"
    DESC = "desc"


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    WEBHOOK = "webhook"


class TransactionReportParams(TransactionFilterParams):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.DESC
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class AggregateParams(TransactionFilterParams):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    group_by: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=4,
        description="day, company, product_type or status; repeat or comma-separate for several",
    )


class RequestLogParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    company_id: CompanyId | None = None
    direction: Direction | None = None
    path: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None, description="Path prefix, e.g. /v1/orders"
    )
    status: int | None = Field(None, ge=100, le=599)
    status_min: int | None = Field(None, ge=100, le=599)
    status_max: int | None = Field(None, ge=100, le=599)
    correlation_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    at_from: QueryTime | None = Field(None, alias="from")
    at_to: QueryTime | None = Field(None, alias="to")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    def to_query(self) -> RequestLogQuery:
        return RequestLogQuery(
            self.company_id, None if self.direction is None else self.direction.value, self.path,
            self.status, self.status_min, self.status_max, self.correlation_id, self.at_from, self.at_to,
        )  # fmt: skip


class AmountOut(BaseModel):
    value: int = Field(description="Minor units")
    currency: str


class TransactionOut(BaseModel):
    order_id: str
    company_id: str
    product_id: str
    product_type: str
    provider: str
    amount: AmountOut
    fee: AmountOut
    status: str
    status_reason: str
    recipient_kind: str
    card_bin: str | None
    card_last4: str | None
    end_user_id: str
    external_id: str | None
    sandbox: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, t: Transaction) -> TransactionOut:
        return cls(
            order_id=t.order_id, company_id=t.company_id, product_id=t.product_id,
            product_type=t.product_type, provider=t.provider,
            amount=AmountOut(value=t.amount_value, currency=t.currency),
            fee=AmountOut(value=t.fee_value, currency=t.currency), status=t.status,
            status_reason=t.status_reason, recipient_kind=t.recipient_kind,
            card_bin=t.card_bin or None, card_last4=t.card_last4 or None, end_user_id=t.end_user_id,
            external_id=t.external_id or None, sandbox=t.sandbox, created_at=t.created_at,
            updated_at=t.updated_at,
        )  # fmt: skip


class CurrencyTotalsOut(BaseModel):
    currency: str
    count: int
    amount: int = Field(description="Minor units")
    fee: int = Field(description="Minor units")

    @classmethod
    def from_totals(cls, c: CurrencyTotals) -> CurrencyTotalsOut:
        return cls(currency=c.currency, count=c.count, amount=c.amount, fee=c.fee)


class TotalsOut(BaseModel):
    count: int
    by_currency: list[CurrencyTotalsOut]

    @classmethod
    def from_totals(cls, t: Totals) -> TotalsOut:
        return cls(count=t.count, by_currency=[CurrencyTotalsOut.from_totals(c) for c in t.currencies])


class TransactionReportOut(BaseModel):
    data: list[TransactionOut]
    totals: TotalsOut = Field(description="Of everything the filter matches, not just this page")
    next_cursor: str | None = Field(description="Pass as `cursor` (same sort) for the next page.")


class AggregateOut(BaseModel):
    keys: dict[str, str] = Field(description="One value per grouping: a day is YYYY-MM-DD (UTC)")
    currency: str
    count: int
    amount: int
    fee: int

    @classmethod
    def from_row(cls, names: list[str], row: AggregateRow) -> AggregateOut:
        return cls(
            keys=dict(zip(names, row.keys, strict=True)), currency=row.currency, count=row.count,
            amount=row.amount, fee=row.fee,
        )  # fmt: skip


class AggregateList(BaseModel):
    group_by: list[str]
    data: list[AggregateOut]


class BalanceOut(BaseModel):
    available: int
    reserved: int
    total: int

    @classmethod
    def from_balance(cls, b: Balance) -> BalanceOut:
        return cls(available=b.available, reserved=b.reserved, total=b.total)


class MovementOut(BaseModel):
    kind: str
    count: int
    amount: int
    net: int = Field(description="Change to available + reserved (0 for reserve and release)")
    available_delta: int
    reserved_delta: int

    @classmethod
    def from_movement(cls, m: Movement) -> MovementOut:
        return cls(kind=m.kind, count=m.count, amount=m.amount, net=m.net,
                   available_delta=m.available_delta, reserved_delta=m.reserved_delta)  # fmt: skip


class StatementOut(BaseModel):
    company_id: str
    currency: str
    period_from: datetime = Field(serialization_alias="from")
    period_to: datetime = Field(serialization_alias="to")
    opening: BalanceOut
    movements: list[MovementOut]
    net: int
    closing: BalanceOut
    reconciled: bool = Field(description="opening + movements == closing")
    difference: int

    @classmethod
    def from_statement(cls, s: Statement) -> StatementOut:
        return cls(
            company_id=s.company_id, currency=s.currency, period_from=s.period_from,
            period_to=s.period_to, opening=BalanceOut.from_balance(s.opening),
            movements=[MovementOut.from_movement(m) for m in s.movements], net=s.net,
            closing=BalanceOut.from_balance(s.closing), reconciled=s.reconciled, difference=s.difference,
        )  # fmt: skip


class LoggedRequestOut(BaseModel):
    request_id: str
    direction: str
    at: datetime
    company_id: str | None
    method: str
    path: str
    query: str
    status: int
    duration_ms: int
    client_ip: str
    correlation_id: str
    idempotency_key: str
    request_headers: str
    request_body: str
    response_body: str
    error_type: str

    @classmethod
    def from_row(cls, r: LoggedRequest) -> LoggedRequestOut:
        fields = {name: getattr(r, name) for name in cls.model_fields}
        return cls(**(fields | {"company_id": r.company_id or None}))


class RequestLogList(BaseModel):
    data: list[LoggedRequestOut]
    next_cursor: str | None
