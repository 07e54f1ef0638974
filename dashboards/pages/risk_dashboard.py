"""The risk analysts' dashboard: every panel of analytics/dashboards/risk.py over a time range
(the same definitions Grafana gets), drawn with ECharts and refreshed live by dashboard.js from
GET /staff/v1/dashboards/risk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import errors
from api.deps import services
from api.staff.risk_dashboard_schemas import RiskDashboardOut, RiskDashboardParams
from dashboards.forms import as_utc, echo, parse_form
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.errors import DomainError
from analytics.dashboards.risk import RISK_DASHBOARD
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
}  # fmt: skip
REFRESH_S = 15  # how often a preset range follows the clock in the browser


def window(given: dict[str, str], now: datetime) -> tuple[dict[str, Any], str]:
    """The query for the use case and the preset in force ("" for a custom range)."""
    preset = given.get("range", "24h")
    if preset in PRESETS:
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return {"from": end - PRESETS[preset], "to": end, "company_id": given.get("company_id")}, preset
    return {"from": as_utc(given.get("from", "")), "to": as_utc(given.get("to", "")),
            "company_id": given.get("company_id")}, ""  # fmt: skip


@router.get("/dashboards/risk")
async def risk_dashboard(request: Request, viewer: Annotated[Viewer, Depends(viewer_with())]) -> Response:
    if not (viewer.may(Permission.RISK_REVIEW) or viewer.may(Permission.REPORTS_READ)):
        raise errors.permission_denied("risk.review or reports.read")
    given = {k: v[:200] for k, v in request.query_params.items() if k in ("range", "from", "to", "company_id") and v}
    query, preset = window(given, datetime.now(UTC))
    params, problems = parse_form(RiskDashboardParams, {
        "time_from": query["from"], "time_to": query["to"], "company_id": query["company_id"],
    })  # fmt: skip
    data: RiskDashboardOut | None = None
    dashboard = services(request).staff.risk_dashboard
    if dashboard is None:
        raise errors.Problem(503, "dashboards-unavailable", "Dashboards are not available here")
    if params is not None:
        try:
            found = await dashboard.panels(params.time_from, params.time_to, params.company_id)
        except DomainError as error:
            problems = {error.pointer.strip("/") or "from": error.detail}
        else:
            data = RiskDashboardOut.from_data(found)
    problems = {{"time_from": "from", "time_to": "to"}.get(k, k): v for k, v in problems.items()}
    panels = [p.model_dump(mode="json") for p in data.panels] if data else []
    return render(request, "dashboards/risk.html", {
        "panels": panels, "kpis": kpis(panels), "filters": echo(given), "preset": preset,
        "presets": list(PRESETS), "errors": problems, "refresh_s": REFRESH_S if preset else 0,
        "span_s": int(PRESETS[preset].total_seconds()) if preset else 0,
        "bucket": data.bucket if data else "", "labels_json": json.dumps(_labels(viewer)),
    }, status=422 if problems else 200, viewer=viewer)  # fmt: skip


def kpis(panels: list[dict[str, Any]]) -> dict[str, int]:
    """Totals over the range from the decisions panel: what the tiles at the top show."""
    totals = {"decisions": 0, "approved": 0, "in_review": 0, "declined": 0}
    for panel in panels:
        if panel["id"] == "decisions_by_outcome":
            for series in panel["series"]:
                count = sum(int(v) for v in series["data"] if v is not None)
                totals[series["name"]] = count
                totals["decisions"] += count
    return totals


def _labels(viewer: Viewer) -> dict[str, str]:
    """What the refreshing script needs in the viewer's language."""
    names = {c.name for panel in RISK_DASHBOARD.panels for c in panel.columns}
    labels = {name: viewer.t("dash.col." + name) for name in names}
    return {**labels, "dash.updated": viewer.t("dash.updated"), "dash.stale": viewer.t("dash.stale")}
