"""Staff model page: the fraud model in force and the drift of recent decisions (decode,
call the model desk, encode). Risk analysts and report readers may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api import errors
from api.deps import services
from api.staff.auth import require_any
from api.staff.model_schemas import ModelPageOut
from api.staff.model_service import ModelDesk
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/fraud", tags=["staff: fraud model"])
Reader = Annotated[StaffUser, Depends(require_any(Permission.RISK_REVIEW, Permission.REPORTS_READ))]


def _desk(request: Request) -> ModelDesk:
    desk = services(request).staff.model
    if desk is None:  # this process does not read the decisions
        raise errors.Problem(503, "fraud-model-unavailable", "The model page is not available here")
    return desk


@router.get("/model", response_model=ModelPageOut, response_model_by_alias=True)
async def fraud_model(request: Request, _user: Reader) -> ModelPageOut:
    """Kind, version, training window, saved metrics and features of the model in force, and
    the population stability index of the score and top features: last 24 h vs the 7 days
    before (flagged above 0.2)."""
    return ModelPageOut.from_page(await _desk(request).page())
