"""Staff users and roles (admin only): list, create, change name, role or status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api import errors
from api.deps import services
from api.staff.auth import acting
from api.staff.schemas import StaffUserCreate, StaffUserPatch
from dashboards.forms import echo, parse_form
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from domain.errors import DomainError
from domain.staff import Permission, Role

router = APIRouter(include_in_schema=False)
Manager = Annotated[Viewer, Depends(viewer_with(Permission.STAFF_MANAGE))]
_USER_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _role_options(viewer: Viewer) -> list[tuple[str, str]]:
    return [(r.value, viewer.t("role." + r.value)) for r in Role]


def _list(request: Request, viewer: Viewer, form: dict[str, str], problems: dict[str, str],
          status: int = 200, done: str = "") -> Response:  # fmt: skip
    users = sorted(services(request).staff.users.list(), key=lambda u: u.email)
    return render(request, "users/list.html", {
        "users": users, "role_options": _role_options(viewer), "form": form, "errors": problems,
        "flash": f"users.done.{done}" if done in ("created", "changed") else "",
    }, status=status, viewer=viewer)  # fmt: skip


@router.get("/users")
async def list_users(request: Request, viewer: Manager, done: str = "") -> Response:
    return _list(request, viewer, {}, {}, done=done)


@router.post("/users")
async def create_user(request: Request, viewer: Manager) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    body, problems = parse_form(StaffUserCreate, fields)
    if body is None:
        return _list(request, viewer, echo(fields), problems, status=422)
    try:
        await services(request).staff.users.create(
            acting(request, viewer.user), body.email, body.name, Role(body.role), body.password
        )
    except DomainError as error:
        return _list(request, viewer, echo(fields), {"email": error.detail}, status=error.status)
    return RedirectResponse("/admin/users?done=created", status_code=303)


def _user_id(user_id: str) -> str:
    if not user_id.startswith("stf_") or len(user_id) > 70 or not set(user_id) <= _USER_ID_CHARS:
        raise errors.not_found("No such staff user")
    return user_id


def _edit(request: Request, viewer: Viewer, user_id: str, form: dict[str, str],
          problems: dict[str, str], status: int = 200) -> Response:  # fmt: skip
    try:
        user = services(request).staff.users.get(_user_id(user_id))
    except DomainError as error:
        raise errors.not_found(error.detail) from None
    return render(request, "users/edit.html", {
        "user": user, "role_options": _role_options(viewer), "form": form, "errors": problems,
        "is_self": user.id == viewer.user.id,
    }, status=status, viewer=viewer)  # fmt: skip


@router.get("/users/{user_id}")
async def edit_user(request: Request, user_id: str, viewer: Manager) -> Response:
    return _edit(request, viewer, user_id, {}, {})


@router.post("/users/{user_id}")
async def change_user(request: Request, user_id: str, viewer: Manager) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    user = services(request).staff.users.get(_user_id(user_id))
    wanted = {
        "name": fields.get("name") if fields.get("name") != user.name else None,
        "role": fields.get("role") if fields.get("role") != user.role.value else None,
        "active": {"yes": True, "no": False}.get(fields.get("active", ""), "invalid"),
    }
    if wanted["active"] == user.active:
        wanted["active"] = None
    body, problems = parse_form(StaffUserPatch, wanted)
    if body is None:
        return _edit(request, viewer, user_id, echo(fields), problems, status=422)
    try:
        await services(request).staff.users.change(
            acting(request, viewer.user), user.id, body.name, body.role_value, body.active
        )
    except DomainError as error:
        return _edit(request, viewer, user_id, echo(fields), {"form": error.detail}, error.status)
    return RedirectResponse("/admin/users?done=changed", status_code=303)
