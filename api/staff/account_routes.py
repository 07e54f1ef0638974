"""A staff user's own account: language and password. Any signed-in user, for themself only.
Decode, call one use case, encode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import require_json, services
from api.staff.auth import acting, set_session_cookies, staff_session
from api.staff.auth_service import StaffSession
from api.staff.schemas import MeOut, MePatch, PasswordChange, SessionOut

router = APIRouter(tags=["staff: session"])
Session = Annotated[StaffSession, Depends(staff_session)]
Json = Annotated[None, Depends(require_json)]


@router.patch("/me", response_model=MeOut)
async def change_me(request: Request, session: Session, _json: Json, body: MePatch) -> MeOut:
    """Your own settings: `locale` (`en` or `ru`), the language of the back office."""
    changed = await services(request).staff.account.set_locale(
        acting(request, session.user), body.locale_value
    )
    return MeOut.from_user(changed)


@router.post("/me/password", response_model=SessionOut)
async def change_password(
    request: Request, response: Response, session: Session, _json: Json, body: PasswordChange
) -> SessionOut:
    """Sets a new password after checking the current one. Every session of yours ends,
    this one included; the answer carries its replacement (body and cookies). A wrong current
    password is a 403 `wrong-password` and counts as a failed sign-in."""
    staff = services(request).staff
    issued = await staff.account.change_password(
        acting(request, session.user), body.current_password, body.new_password
    )
    set_session_cookies(response, staff.auth, issued)
    return SessionOut(
        token=issued.token, csrf_token=issued.csrf_token, expires_at=issued.expires_at
    )
