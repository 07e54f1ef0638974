"""Staff authentication for routes: `require(permission)` is the one dependency to use.

A session arrives either as `Authorization: Bearer qs_…` (JSON API clients) or as the
`quadra_session` cookie (the browser UI). Cookies are sent by browsers on their own, so a
cookie-authenticated request that changes something must also carry `X-CSRF-Token` (the token
from the login response, bound to the session); a bearer token is never sent by a browser on
its own, so it needs none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from api import errors
from api.deps import services
from api.staff.auth_service import StaffAuthService, StaffSession
from api.staff.tokens import IssuedSession
from domain.staff import Permission, StaffActor, StaffUser

SESSION_COOKIE = "quadra_session"
CSRF_COOKIE = "quadra_csrf"  # readable by the UI's script, which echoes it in the header
CSRF_HEADER = "x-csrf-token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def staff_session(request: Request) -> StaffSession:
    """The caller's valid session, or a 401 problem (403 `csrf-failed` for a forged request)."""
    cached: StaffSession | None = getattr(request.state, "staff_session", None)
    if cached is not None:
        return cached
    auth = services(request).staff.auth
    now = request.state.received_at
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip().startswith("qs_"):
            raise errors.staff_unauthorized(
                "Authorization must be 'Bearer qs_…' with a token from POST /staff/v1/login."
            )
        session = auth.session(token.strip(), now)
    else:
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            raise errors.staff_unauthorized("Sign in with POST /staff/v1/login.")
        session = auth.session(token, now)
        if request.method in _UNSAFE_METHODS and not auth.csrf_matches(
            session, request.headers.get(CSRF_HEADER, "")
        ):
            raise errors.csrf_failed()
    request.state.staff_session = session
    return session


def require(permission: Permission) -> Callable[[Request], Awaitable[StaffUser]]:
    """A dependency: the signed-in staff user if their role grants `permission`;
    else 401 (no valid session) or 403 (`forbidden`, or `csrf-failed`) as problem+json.

        user: Annotated[StaffUser, Depends(require(Permission.BALANCES_WRITE))]
    """

    async def dependency(request: Request) -> StaffUser:
        session = await staff_session(request)
        if not session.user.may(permission):
            raise errors.permission_denied(permission.value)
        return session.user

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def require_any(*permissions: Permission) -> Callable[[Request], Awaitable[StaffUser]]:
    """Like `require`, for an endpoint any one of several permissions opens."""

    async def dependency(request: Request) -> StaffUser:
        session = await staff_session(request)
        if not any(session.user.may(p) for p in permissions):
            raise errors.permission_denied(" or ".join(p.value for p in permissions))
        return session.user

    dependency.__name__ = "require_any_" + "_".join(p.name.lower() for p in permissions)
    return dependency


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def acting(request: Request, user: StaffUser) -> StaffActor:
    """The user acting through this request: what use cases need to record an audit event."""
    return StaffActor(user, request.state.request_id, client_ip(request), request.state.received_at)


def set_session_cookies(response: Response, auth: StaffAuthService, issued: IssuedSession) -> None:
    """The session (HttpOnly) and its CSRF token (readable by the page's script)."""
    max_age = int(auth.session_ttl.total_seconds())
    cookies = ((SESSION_COOKIE, issued.token, True), (CSRF_COOKIE, issued.csrf_token, False))
    for name, value, http_only in cookies:
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=http_only, samesite="strict",
            secure=auth.secure_cookies,
        )  # fmt: skip


def clear_session_cookies(response: Response, auth: StaffAuthService) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict", secure=auth.secure_cookies)
