"""Your own account: the language of the back office and your password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api import errors
from api.deps import services
from api.staff.auth import acting, set_session_cookies
from api.staff.schemas import MePatch, PasswordChange
from dashboards.forms import parse_form
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from domain.errors import DomainError

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Viewer, Depends(viewer_with())]
_DONE = {"locale": "account.done.locale", "password": "account.done.password"}


def _page(request: Request, viewer: Viewer, problems: dict[str, str] | None = None,
          status: int = 200, flash: str = "") -> Response:  # fmt: skip
    return render(request, "account.html", {
        "errors": problems or {}, "flash": flash,
        "locales": [("en", "English"), ("ru", "Русский")],
    }, status=status, viewer=viewer)  # fmt: skip


@router.get("/account")
async def account(request: Request, viewer: SignedIn, done: str = "") -> Response:
    return _page(request, viewer, flash=_DONE.get(done, ""))


@router.post("/account/locale")
async def set_locale(request: Request, viewer: SignedIn) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    body, problems = parse_form(MePatch, fields)
    if body is None:
        return _page(request, viewer, problems, status=422)
    await services(request).staff.account.set_locale(acting(request, viewer.user), body.locale_value)
    return RedirectResponse("/admin/account?done=locale", status_code=303)


@router.post("/account/password")
async def change_password(request: Request, viewer: SignedIn) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    if fields.get("new_password", "") != fields.get("repeat_password", ""):
        return _page(request, viewer, {"repeat_password": viewer.t("account.mismatch")}, 422)
    body, problems = parse_form(PasswordChange, fields)
    if body is None:
        return _page(request, viewer, problems, status=422)
    staff = services(request).staff
    try:
        issued = await staff.account.change_password(
            acting(request, viewer.user), body.current_password, body.new_password
        )
    except (DomainError, errors.Problem) as error:
        status = error.status
        message = viewer.t("account.wrong") if status == 403 else viewer.t("login.locked")
        return _page(request, viewer, {"current_password": message}, status=status)
    response = RedirectResponse("/admin/account?done=password", status_code=303)
    set_session_cookies(response, staff.auth, issued)  # every older session has ended
    return response
