"""Who is using the back office: the session cookie, roles and CSRF, for HTML pages.

The same session token and CSRF token as the staff JSON API (api/staff/auth.py): pages read
the cookie; every form that changes something carries the session's CSRF token in a hidden
`csrf_token` field (or the X-CSRF-Token header for scripts), and a post without it is refused.
Before sign-in, the login form is protected by a random token in a short-lived cookie that the
form must echo (login CSRF).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request

from api import errors
from api.deps import services
from api.staff.auth import CSRF_HEADER, SESSION_COOKIE
from api.staff.auth_service import StaffSession
from dashboards.i18n import Translator, UiLocale
from domain.staff import Permission, StaffUser

LOGIN_CSRF_COOKIE = "quadra_login_csrf"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024  # every back-office form is small; a bigger one is refused


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in staff user looking at a page, with what the templates need."""

    session: StaffSession
    csrf_token: str
    locale: UiLocale

    @property
    def user(self) -> StaffUser:
        return self.session.user

    def may(self, permission: Permission | str) -> bool:
        return self.user.may(Permission(permission))

    @property
    def t(self) -> Translator:
        return Translator(self.locale)


def safe_next(path: str | None) -> str:
    """Only a path inside the back office: never an open redirect to another site."""
    if not path or not path.startswith("/admin") or path.startswith("//") or "\\" in path:
        return "/admin"
    return path[:500]


def locale_of(user: StaffUser) -> UiLocale:
    return user.locale


def current_viewer(request: Request) -> Viewer | None:
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    auth = services(request).staff.auth
    try:
        session = auth.session(token, request.state.received_at)
    except errors.Problem:
        return None
    viewer = Viewer(session, auth.csrf_token(session), locale_of(session.user))
    request.state.viewer = viewer
    return viewer


def _next_of(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return safe_next(request.url.path + query) if request.method == "GET" else "/admin"


def viewer_with(*permissions: Permission) -> Callable[[Request], Awaitable[Viewer]]:
    """A page dependency: the signed-in viewer holding every permission given;
    a redirect to sign in without a session, a 403 page without the permission."""

    async def dependency(request: Request) -> Viewer:
        viewer = current_viewer(request)
        if viewer is None:
            raise SignInRequired(_next_of(request))
        for permission in permissions:
            if not viewer.user.may(permission):
                raise errors.permission_denied(permission.value)
        return viewer

    return dependency


async def form_of(request: Request) -> dict[str, str]:
    """The posted form as text fields, bounded; files and repeated fields are refused."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise errors.payload_too_large(MAX_FORM_BYTES)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise errors.form_expected(kind)
    form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_FORM_BYTES)
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise errors.form_expected("a file upload")
        fields[name] = value if name not in fields else fields[name] + "," + value
    return fields


def check_csrf(request: Request, viewer: Viewer, fields: dict[str, Any]) -> None:
    given = str(fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, ""))
    if not given or not services(request).staff.auth.csrf_matches(viewer.session, given):
        raise errors.csrf_failed()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_matches(request: Request, given: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def login_redirect(next_path: str) -> str:
    return "/admin/login?next=" + quote(safe_next(next_path), safe="/")
