"""Staff dashboard routes: the risk dashboard's panels over a time range (decode, call the use
case, encode). Risk analysts (risk review) and report readers may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api import errors
from api.deps import services
from api.staff.auth import require_any
from api.staff.risk_dashboard_schemas import RiskDashboardOut, RiskDashboardParams
from api.staff.risk_dashboard_service import RiskDashboard
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/dashboards", tags=["staff: dashboards"])
Reader = Annotated[StaffUser, Depends(require_any(Permission.RISK_REVIEW, Permission.REPORTS_READ))]


def _dashboard(request: Request) -> RiskDashboard:
    dashboard = services(request).staff.risk_dashboard
    if dashboard is None:  # this process does not read ClickHouse
        raise errors.Problem(503, "dashboards-unavailable", "Dashboards are not available here")
    return dashboard


@router.get("/risk", response_model=RiskDashboardOut, response_model_by_alias=True)
async def risk(request: Request, _user: Reader, params: Annotated[RiskDashboardParams, Query()]) -> RiskDashboardOut:
    """Every panel of the risk dashboard over [from, to) (at most 93 days), optionally for one
    company: decisions by outcome, alerts by rule, score distribution, approval latency of held
    orders, fraud rate per company, top suspicious end users and recipients. Time series are
    bucketed by minute (ranges up to 6 hours), hour (up to 7 days) or day."""
    data = await _dashboard(request).panels(params.time_from, params.time_to, params.company_id)
    return RiskDashboardOut.from_data(data)
