"""Partner fraud reports: decode, call the use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api import errors
from api.deps import authenticate, services
from api.fraud_report_schemas import FraudReportList, FraudReportOut, FraudReportParams
from domain.companies import ApiKey

router = APIRouter(prefix="/v1", tags=["fraud reports"])


@router.get("/fraud-reports", response_model=FraudReportList)
async def list_fraud_reports(
    request: Request,
    key: Annotated[ApiKey, Depends(authenticate)],
    params: Annotated[FraudReportParams, Query()],
) -> FraudReportList:
    """End users of this company whose orders were confirmed fraudulent, newest first: the
    same objects the `fraud.suspected` webhook delivers."""
    reports = services(request).fraud_reports
    if reports is None:  # this process does not read the fraud tables
        raise errors.Problem(503, "fraud-reports-unavailable", "Fraud reports are not available here")
    p = params.checked()
    found, cursor = await reports.list_reports(key.company_id, p.created_from, p.created_to, p.cursor, p.limit)
    return FraudReportList(data=[FraudReportOut.from_report(r) for r in found], next_cursor=cursor)
