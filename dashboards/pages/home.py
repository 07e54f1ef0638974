"""The dashboard home: where each area is, as far as the viewer's role reaches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dashboards.nav import sections_for
from dashboards.render import render
from dashboards.web import Viewer, viewer_with

router = APIRouter(include_in_schema=False)


@router.get("")
async def home(request: Request, viewer: Annotated[Viewer, Depends(viewer_with())]) -> Response:
    return render(request, "home.html", {"sections": sections_for(viewer)}, viewer=viewer)
