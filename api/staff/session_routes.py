"""Staff sign-in routes: decode, call one use case, encode (cookies are encoding)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import require_json, services
from api.staff.auth import CSRF_COOKIE, SESSION_COOKIE, acting, client_ip, staff_session
from api.staff.auth_service import Caller, StaffAuthService, StaffSession
from api.staff.tokens import IssuedSession
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
    return session_out(response, auth, issued)


def session_out(response: Response, auth: StaffAuthService, issued: IssuedSession) -> SessionOut:
    """The session as the answer's body and as its cookies (the browser UI uses those)."""
    max_age = int(auth.session_ttl.total_seconds())
    cookies = ((SESSION_COOKIE, issued.token, True), (CSRF_COOKIE, issued.csrf_token, False))
    for name, value, http_only in cookies:
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=http_only, samesite="strict",
            secure=auth.secure_cookies,
        )  # fmt: skip
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
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict", secure=auth.secure_cookies)
    return response


@router.get("/me", response_model=MeOut)
async def me(session: Annotated[StaffSession, Depends(staff_session)]) -> MeOut:
    return MeOut.from_user(session.user)
