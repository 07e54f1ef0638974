"""A company's API keys: issue one (its secret shown on the result page once, never again)
and revoke one after a confirmation step. Same use cases and permission (api_keys.write) as
the staff JSON API (api/staff/company_routes.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import errors
from api.staff.auth import acting
from api.staff.schemas import ApiKeyCreate
from dashboards.pages.company_common import KeyWriter, admin, company_of, confirm_page
from dashboards.render import render
from dashboards.web import check_csrf, form_of
from domain.companies import KeyMode

router = APIRouter(include_in_schema=False)


@router.post("/companies/{company_id}/keys")
async def issue_key(request: Request, company_id: str, viewer: KeyWriter) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    company = company_of(request, company_id)
    try:
        wanted = ApiKeyCreate.model_validate({"mode": fields.get("mode", "")})
    except ValidationError:
        raise errors.validation_failed(
            [errors.FieldError("mode", "invalid", viewer.t("companies.keys.err.mode"))]
        ) from None
    created = await admin(request).create_key(acting(request, viewer.user), company.id, KeyMode(wanted.mode))
    # The secret is in this one response (never cached: every page is no-store) and nowhere
    # else: only its hash is kept, so the company page can never show it again.
    context = {"company": company, "key": created.key, "secret": created.secret}
    return render(request, "companies/key_issued.html", context, status=201, viewer=viewer)


@router.post("/companies/{company_id}/keys/{prefix}/revoke")
async def revoke_key(request: Request, company_id: str, prefix: str, viewer: KeyWriter) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    company = company_of(request, company_id)
    prefix = prefix[:40]
    if not any(k.key_prefix == prefix and not k.revoked for k in admin(request).keys(company.id)):
        raise errors.not_found(f"No active API key {prefix} for this company")
    if fields.get("confirm") != "yes":
        return confirm_page(
            request, viewer, company, title=viewer.t("companies.keys.revoke.title"),
            message=viewer.t("companies.keys.revoke.confirm", prefix=prefix, name=company.profile.name),
            action=f"/admin/companies/{company.id}/keys/{prefix}/revoke", hidden={}, danger=True,
        )  # fmt: skip
    await admin(request).revoke_key(acting(request, viewer.user), company.id, prefix)
    return RedirectResponse(f"/admin/companies/{company.id}?done=key_revoked#keys", status_code=303)
