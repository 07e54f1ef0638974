"""Companies: the list with search, create, the company page, edit, deactivate / reactivate.

Each page calls the same use cases as the staff JSON API (api/staff/company_routes.py) with
the same permissions, and validates forms with the same schemas (api/staff/schemas.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import services
from api.staff.auth import acting
from api.staff.schemas import CompanyCreate, CompanyPatch
from dashboards.company_audit import RECENT_AUDIT, company_audit_feed
from dashboards.pages.company_balance import ACTIONS, actions_for
from dashboards.pages.company_common import (
    FORM_LEVEL,
    Reader,
    Writer,
    admin,
    company_of,
    confirm_page,
    field_errors,
)
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of
from domain.companies import Company, CompanyStatus
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_SEARCH = 200
SORTS = ("name", "created")
PROFILE_FORM = (
    "name", "legal_name", "country", "contact_email", "notification_email",
    "registration_number", "address", "ip_allowlist",
)  # fmt: skip
# A field's own message for a value in the wrong shape (a missing one says "Required.")
FIELD_MESSAGES = {
    "name": "companies.err.text", "legal_name": "companies.err.text",
    "registration_number": "companies.err.text", "address": "companies.err.text",
    "country": "companies.err.country", "contact_email": "companies.err.email",
    "notification_email": "companies.err.email", "ip_allowlist": "companies.err.ip_allowlist",
}  # fmt: skip
FLASHES = {
    "created": "companies.flash.created", "updated": "companies.flash.updated",
    "unchanged": "companies.flash.unchanged", "deactivated": "companies.flash.deactivated",
    "reactivated": "companies.flash.reactivated", "key_revoked": "companies.flash.key_revoked",
    "catalog": "companies.flash.catalog",
}  # fmt: skip


# --- the list ---


def _sort_key(company: Company, sort: str) -> tuple[Any, ...]:
    if sort == "created":
        return (company.created_at, company.id)
    return (company.profile.name.casefold(), company.id)


@router.get("/companies")
async def list_companies(
    request: Request, viewer: Reader, q: str = "", status: str = "", sort: str = "name", after: str = ""
) -> Response:
    search = q.strip()[:MAX_SEARCH]
    wanted = CompanyStatus(status) if status in {s.value for s in CompanyStatus} else None
    sort = sort if sort in SORTS else "name"
    rows = sorted(
        admin(request).list(wanted, search),
        key=lambda c: _sort_key(c, sort),
    )
    # Keyset: the next page starts after the last row shown (found by its id, never an offset).
    start = next((i + 1 for i, c in enumerate(rows) if c.id == after), 0) if after else 0
    page = rows[start : start + PAGE_SIZE]
    more = start + PAGE_SIZE < len(rows)
    context = {
        "companies": page, "q": search, "status": wanted.value if wanted else "", "sort": sort,
        "next_after": page[-1].id if more and page else "", "total": len(rows), "first": start == 0,
    }  # fmt: skip
    return render(request, "companies/list.html", context, viewer=viewer)


# --- create and edit ---


def _typed(fields: dict[str, str]) -> dict[str, str]:
    return {name: fields.get(name, "") for name in PROFILE_FORM}


def _allowlist(text: str) -> list[str]:
    """One CIDR a line (commas work too); blank lines are nothing."""
    return [entry.strip() for entry in text.replace(",", "\n").splitlines() if entry.strip()]


def _typed_of(company: Company) -> dict[str, str]:
    p = company.profile
    return {
        "name": p.name, "legal_name": p.legal_name, "country": p.country,
        "contact_email": p.contact_email, "notification_email": p.notification_email,
        "registration_number": p.registration_number, "address": p.address,
        "ip_allowlist": "\n".join(p.ip_allowlist),
    }  # fmt: skip


def _wire(typed: dict[str, str], names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The typed fields as the JSON API's body: trimmed text, the allowlist as a list."""
    body: dict[str, Any] = {}
    for name in names:
        value = typed[name]
        body[name] = _allowlist(value) if name == "ip_allowlist" else value.strip()
    return body


def _form(
    request: Request, viewer: Viewer, typed: dict[str, str], company: Company | None = None,
    errors: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    context = {"typed": typed, "company": company, "errors": errors or {}}
    return render(request, "companies/form.html", context, status=status, viewer=viewer)


def _domain_errors(error: DomainError) -> dict[str, str]:
    field = error.pointer.lstrip("/")
    return {field if field in PROFILE_FORM else FORM_LEVEL: error.detail}


@router.get("/companies/new")
async def new_company(request: Request, viewer: Writer) -> Response:
    return _form(request, viewer, {name: "" for name in PROFILE_FORM})


@router.post("/companies")
async def create_company(request: Request, viewer: Writer) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    typed = _typed(fields)
    body = _wire(typed, PROFILE_FORM)
    if not body["notification_email"]:
        body["notification_email"] = None  # the API's default: the contact address
    try:
        created = CompanyCreate.model_validate(body)
    except ValidationError as exc:
        return _form(request, viewer, typed, errors=field_errors(exc, viewer, FIELD_MESSAGES), status=422)
    try:
        company = await admin(request).create(acting(request, viewer.user), created.profile())
    except DomainError as error:
        return _form(request, viewer, typed, errors=_domain_errors(error), status=error.status)
    return RedirectResponse(f"/admin/companies/{company.id}?done=created", status_code=303)


@router.get("/companies/{company_id}/edit")
async def edit_form(request: Request, company_id: str, viewer: Writer) -> Response:
    company = company_of(request, company_id)
    return _form(request, viewer, _typed_of(company), company)


@router.post("/companies/{company_id}/edit")
async def edit_company(request: Request, company_id: str, viewer: Writer) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    company = company_of(request, company_id)
    typed, before = _typed(fields), _wire(_typed_of(company), PROFILE_FORM)
    # A PATCH of what the person changed, as the JSON API takes it.
    changes = {k: v for k, v in _wire(typed, PROFILE_FORM).items() if v != before[k]}
    if not changes:
        return RedirectResponse(f"/admin/companies/{company.id}?done=unchanged", status_code=303)
    try:
        patch = CompanyPatch.model_validate(changes)
    except ValidationError as exc:
        errors = field_errors(exc, viewer, FIELD_MESSAGES)
        return _form(request, viewer, typed, company, errors, status=422)
    try:
        await admin(request).edit(acting(request, viewer.user), company.id, patch.changes())
    except DomainError as error:
        return _form(request, viewer, typed, company, _domain_errors(error), status=error.status)
    return RedirectResponse(f"/admin/companies/{company.id}?done=updated", status_code=303)


# --- deactivate / reactivate, with a confirmation step ---


async def _set_status(request: Request, company_id: str, viewer: Viewer, status: CompanyStatus) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    company = company_of(request, company_id)
    verb = "deactivate" if status is CompanyStatus.INACTIVE else "reactivate"
    if fields.get("confirm") != "yes":
        return confirm_page(
            request, viewer, company, title=viewer.t(f"companies.{verb}.title"),
            message=viewer.t(f"companies.{verb}.confirm", name=company.profile.name),
            action=f"/admin/companies/{company.id}/{verb}", hidden={},
            danger=status is CompanyStatus.INACTIVE,
        )  # fmt: skip
    await admin(request).set_status(acting(request, viewer.user), company.id, status)
    return RedirectResponse(f"/admin/companies/{company.id}?done={verb}d", status_code=303)


@router.post("/companies/{company_id}/deactivate")
async def deactivate(request: Request, company_id: str, viewer: Writer) -> Response:
    return await _set_status(request, company_id, viewer, CompanyStatus.INACTIVE)


@router.post("/companies/{company_id}/reactivate")
async def reactivate(request: Request, company_id: str, viewer: Writer) -> Response:
    return await _set_status(request, company_id, viewer, CompanyStatus.ACTIVE)


# --- the company page ---


def _flash(done: str) -> str:
    action = done.removeprefix("balance.")  # ?done=balance.<action> after a money action
    if done.startswith("balance.") and action in {a.name for a in ACTIONS.values()}:
        return "companies.balance.flash." + action
    return FLASHES.get(done, "")


@router.get("/companies/{company_id}")
async def show_company(request: Request, company_id: str, viewer: Reader, done: str = "") -> Response:
    company = company_of(request, company_id)
    staff = services(request).staff
    accounts = services(request).balances.accounts(company.id) if viewer.may(Permission.BALANCES_READ) else ()
    feed = company_audit_feed(request) if viewer.may(Permission.AUDIT_READ) else None
    products = {r.product.id: r.product for r in staff.catalog.products()}
    context = {
        "company": company, "keys": admin(request).keys(company.id), "accounts": accounts,
        "products": products, "audit_shown": viewer.may(Permission.AUDIT_READ),
        "audit_events": await feed.recent_for_company(company.id, RECENT_AUDIT) if feed else None,
        "money_actions": actions_for(viewer), "flash": _flash(done),
    }  # fmt: skip
    return render(request, "companies/show.html", context, viewer=viewer)
