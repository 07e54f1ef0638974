"""The fraud model page: the model in force (kind, version, whether it serves, training window,
thresholds, in-sample metrics, features), the other models in its directory, and the drift of
the last 24 h of decisions against the 7 days before (score and per-feature PSI, with the bin
shares drawn by static/model.js from a data attribute: the CSP allows no inline script).

It calls the model desk the JSON route calls (api/staff/model_routes.py) and shows what that
route encodes (ModelPageOut), for the same readers: risk review or reports read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import errors
from api.deps import services
from api.staff.model_schemas import BinOut, ModelPageOut, StabilityOut
from api.staff.model_service import ModelDesk
from dashboards.pages.risk_common import viewer_with_any
from dashboards.render import render
from dashboards.web import Viewer
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with_any(Permission.RISK_REVIEW, Permission.REPORTS_READ))]


def model_desk(request: Request) -> ModelDesk:
    desk = services(request).staff.model
    if desk is None:  # as the JSON route: this process does not read the decisions
        raise errors.Problem(503, "fraud-model-unavailable", "The model page is not available here")
    return desk


def _edge(value: float) -> str:
    return f"{value:.4g}"


def bin_labels(bins: list[BinOut]) -> list[str]:
    """Each bin by its edges: `≤ 0.12`, …, `> 0.98` for the last one (open above)."""
    labels: list[str] = []
    previous: float | None = None
    for b in bins:
        if b.upper is not None:
            labels.append(f"≤ {_edge(b.upper)}")
            previous = b.upper
        else:
            labels.append(f"> {_edge(previous)}" if previous is not None else "all")
    return labels


def chart_data(s: StabilityOut) -> dict[str, Any]:
    """What model.js draws for one distribution: shares in percent, reference vs recent."""
    return {
        "name": s.name,
        "labels": bin_labels(s.bins),
        "reference": [round(b.reference_share * 100, 2) for b in s.bins],
        "recent": [round(b.recent_share * 100, 2) for b in s.bins],
    }


@router.get("/risk/model")
async def model_page(request: Request, viewer: Reader) -> Response:
    page = ModelPageOut.from_page(await model_desk(request).page())
    drift = page.drift
    context: dict[str, Any] = {
        "m": page,
        "drift": drift,
        "score_chart": chart_data(drift.score),
        "feature_charts": {s.name: chart_data(s) for s in drift.features},
        "bin_labels": bin_labels,
    }
    return render(request, "risk/model.html", context, viewer=viewer)
