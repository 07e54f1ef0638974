"""Staff-account routes (staff.manage): decode, call one use case, encode."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api import errors
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.schemas import StaffUserCreate, StaffUserList, StaffUserOut, StaffUserPatch
from domain.staff import Permission, Role, StaffUser

router = APIRouter(tags=["staff: accounts"])
Manager = Annotated[StaffUser, Depends(require(Permission.STAFF_MANAGE))]
Json = Annotated[None, Depends(require_json)]
_USER_ID = re.compile(r"^stf_[A-Za-z0-9_]{1,64}$")


def _user_id(user_id: str) -> str:
    if not _USER_ID.match(user_id):
        raise errors.not_found(f"No staff user {user_id[:70]}")
    return user_id


@router.get("/users", response_model=StaffUserList)
async def list_users(request: Request, _user: Manager) -> StaffUserList:
    users = services(request).staff.users.list()
    return StaffUserList(data=[StaffUserOut.from_user(u) for u in users])


@router.post("/users", status_code=201, response_model=StaffUserOut)
async def create_user(
    request: Request, response: Response, user: Manager, _json: Json, body: StaffUserCreate
) -> StaffUserOut:
    created = await services(request).staff.users.create(
        acting(request, user), body.email, body.name, Role(body.role), body.password
    )
    response.headers["Location"] = f"/staff/v1/users/{created.id}"
    return StaffUserOut.from_user(created)


@router.patch("/users/{user_id}", response_model=StaffUserOut)
async def change_user(
    request: Request, user_id: str, user: Manager, _json: Json, body: StaffUserPatch
) -> StaffUserOut:
    changed = await services(request).staff.users.change(
        acting(request, user), _user_id(user_id), body.name, body.role_value, body.active,
        body.locale_value,
    )
    return StaffUserOut.from_user(changed)
