"""What the company pages share: who may do what, finding the company, turning the JSON API's
validation errors into translated form messages, and the confirmation step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api import errors
from api.deps import services
from api.staff.company_service import CompanyAdmin
from dashboards.render import render
from dashboards.web import Viewer, viewer_with
from domain.companies import COMPANY_ID, Company
from domain.staff import Permission

Reader = Annotated[Viewer, Depends(viewer_with(Permission.COMPANIES_READ))]
Writer = Annotated[Viewer, Depends(viewer_with(Permission.COMPANIES_WRITE))]
KeyWriter = Annotated[Viewer, Depends(viewer_with(Permission.API_KEYS_WRITE))]
SignedIn = Annotated[Viewer, Depends(viewer_with())]
FORM_LEVEL = "_form"  # the errors key of a message about the whole form, not one field

# pydantic's error types → the message shown next to the field (translation keys)
_MESSAGES = {
    "missing": "form.required",
    "string_too_short": "form.required",
    "string_too_long": "form.too_long",
    "too_long": "form.too_long",
    "greater_than": "amount.positive",
    "greater_than_equal": "amount.negative",
    "less_than_equal": "amount.too_large",
}


def admin(request: Request) -> CompanyAdmin:
    return services(request).staff.companies


def company_of(request: Request, company_id: str) -> Company:
    """The company, or a 404 page (also for an id that cannot be one)."""
    if not COMPANY_ID.match(company_id):
        raise errors.not_found(f"No company {company_id[:70]}")
    return admin(request).get(company_id)


def field_errors(exc: ValidationError, viewer: Viewer, by_field: Mapping[str, str] | None = None) -> dict[str, str]:
    """The first message per form field. `by_field` names a field's own message (e.g. the
    country's format) for anything but a missing value."""
    found: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else FORM_LEVEL
        if name in found:
            continue
        key = _MESSAGES.get(error["type"], "form.invalid")
        if by_field and name in by_field and key != "form.required":
            key = by_field[name]
        found[name] = viewer.t(key)
    return found


def confirm_page(
    request: Request,
    viewer: Viewer,
    company: Company,
    *,
    title: str,
    message: str,
    action: str,
    hidden: Mapping[str, str],
    facts: list[tuple[str, str]] | None = None,
    danger: bool = False,
    can_edit: bool = False,
) -> Response:
    """The confirmation step: what is about to happen, with the values in hidden fields;
    only the Confirm button (confirm=yes) carries it out."""
    context: dict[str, Any] = {
        "company": company, "title": title, "message": message, "action": action,
        "hidden": dict(hidden), "facts": facts or [], "danger": danger, "can_edit": can_edit,
    }  # fmt: skip
    return render(request, "companies/confirm.html", context, viewer=viewer)
