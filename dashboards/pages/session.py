"""Sign in, sign out: decode the form, call the staff auth use case, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api import errors
from api.deps import services
from api.staff.auth import acting, clear_session_cookies, client_ip, set_session_cookies
from api.staff.auth_service import Caller
from dashboards.render import render
from dashboards.web import (
    LOGIN_CSRF_COOKIE,
    Viewer,
    check_csrf,
    current_viewer,
    form_of,
    login_csrf_matches,
    new_login_csrf,
    safe_next,
    viewer_with,
)

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Viewer, Depends(viewer_with())]
MAX_EMAIL, MAX_PASSWORD = 254, 1024


def _login_page(request: Request, next_path: str, error: str = "", email: str = "", status: int = 200) -> Response:
    token = new_login_csrf()
    response = render(
        request, "login.html",
        {"login_csrf": token, "next_path": safe_next(next_path), "error": error, "email": email},
        status=status,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=1800, path="/admin/login", httponly=True, samesite="strict",
        secure=services(request).staff.auth.secure_cookies,
    )  # fmt: skip
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/admin") -> Response:
    if current_viewer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await form_of(request)
    next_path = safe_next(fields.get("next"))
    email, password = fields.get("email", "")[:MAX_EMAIL], fields.get("password", "")
    if not login_csrf_matches(request, fields.get("login_csrf", "")):
        return _login_page(request, next_path, "login.expired", email[:MAX_EMAIL], status=403)
    if not email.strip() or not password or len(password) > MAX_PASSWORD:
        return _login_page(request, next_path, "login.failed", email, status=422)
    auth = services(request).staff.auth
    caller = Caller(request.state.request_id, client_ip(request), request.state.received_at)
    try:
        issued = await auth.login(email, password, caller)
    except errors.Problem as problem:
        key = "login.locked" if problem.status == 429 else "login.failed"
        return _login_page(request, next_path, key, email, status=problem.status)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookies(response, auth, issued)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


@router.post("/logout")
async def logout(request: Request, viewer: SignedIn) -> Response:
    check_csrf(request, viewer, await form_of(request))
    auth = services(request).staff.auth
    await auth.logout(acting(request, viewer.user))
    response = RedirectResponse("/admin/login", status_code=303)
    clear_session_cookies(response, auth)
    return response


