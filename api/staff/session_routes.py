"""Staff sign-in routes: decode, call one use case, encode (cookies are encoding)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import require_json, services
from api.staff.auth import (
    acting, clear_session_cookies, client_ip, set_session_cookies, staff_session,
)
from api.staff.auth_service import Caller, StaffSession
from api.staff.schemas import LoginIn, MeOut, SessionOut

router = APIRouter(tags=["staff: session"])


@router.post("/login", response_model=SessionOut)
async def login(
    request: Request,
    response: Response,
    _json: Annotated[None, Depends(require_json)],
    body: LoginIn,
) -> SessionOut:
    auth = services(request).staff.auth
    caller = Caller(request.state.request_id, client_ip(request), request.state.received_at)
    issued = await auth.login(body.email, body.password, caller)
    set_session_cookies(response, auth, issued)
    return SessionOut(
        token=issued.token, csrf_token=issued.csrf_token, expires_at=issued.expires_at
    )


@router.post("/logout", status_code=204)
async def logout(
    request: Request, response: Response, session: Annotated[StaffSession, Depends(staff_session)]
) -> Response:
    auth = services(request).staff.auth
    await auth.logout(acting(request, session.user))
    response = Response(status_code=204)
    clear_session_cookies(response, auth)
    return response


@router.get("/me", response_model=MeOut)
async def me(session: Annotated[StaffSession, Depends(staff_session)]) -> MeOut:
    return MeOut.from_user(session.user)
