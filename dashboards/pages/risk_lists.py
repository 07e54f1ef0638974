"""The block/allow lists editor: browse and filter entries, add one, remove one (confirmed).

Each handler calls the list use case the staff JSON routes (api/staff/list_routes.py) call; the
add form is parsed into the API's own `ListEntryIn`. Reading needs orders read, changing risk
review, as the JSON routes do. A card number typed as a card_token value is tokenized by the
use case and never shown again: a refused form comes back without it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import errors
from api.staff.auth import acting
from api.staff.list_schemas import ListEntryIn
from api.staff.list_service import ListQuery, entry_id, key_of
from api.staff.rule_schemas import CompanyId
from dashboards.pages.risk_common import domain_errors, flash, rule_desk, schema_errors, scrubbed
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from detectors.lists import ListKind, ListVerdict
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.ORDERS_READ))]
Analyst = Annotated[Viewer, Depends(viewer_with(Permission.RISK_REVIEW))]
DONE = ("added", "replaced", "removed")
_FILTERS = ("kind", "verdict", "scope", "company_id", "include_expired", "limit", "cursor")
_ENTRY_FIELDS = ("kind", "value", "verdict", "scope", "company_id", "reason", "expires_at")


class ListFilters(BaseModel):
    """The JSON listing's query parameters (GET /staff/v1/fraud/lists), as a form."""

    model_config = ConfigDict(extra="ignore")

    kind: ListKind | None = None
    verdict: ListVerdict | None = None
    scope: Literal["global"] | None = None
    company_id: CompanyId | None = None
    include_expired: Literal["yes"] | None = None
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, max_length=1100)


def _options(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "kinds": [k.value for k in ListKind], "verdicts": [v.value for v in ListVerdict]}


@router.get("/risk/lists")
async def list_entries(request: Request, viewer: Reader, done: str | None = None) -> Response:
    filters = {k: request.query_params[k] for k in _FILTERS if request.query_params.get(k, "").strip()}
    context = _options({"filters": filters, "entries": [], "next_url": None, "errors": {}, "flash": flash(done, DONE),
                        "entry_id": entry_id, "checked_at": request.state.received_at})  # fmt: skip
    try:
        f = ListFilters.model_validate(filters)
    except ValidationError as e:
        return render(request, "risk/lists.html", {**context, "errors": schema_errors(e)}, 422, viewer)
    after = None if f.cursor is None else key_of(f.cursor)
    problems = {}
    if f.scope is not None and f.company_id is not None:
        problems["scope"] = "send scope or company_id, not both"
    if f.cursor is not None and after is None:
        problems["cursor"] = "not a cursor from this page"
    if problems:
        return render(request, "risk/lists.html", {**context, "errors": problems}, 422, viewer)
    query = ListQuery(f.kind, f.verdict, f.scope == "global", f.company_id, f.include_expired == "yes")
    entries, last = rule_desk(request).lists.entries(query, request.state.received_at, after, f.limit)
    next_url = None
    if last is not None:
        next_url = "/admin/risk/lists?" + urlencode({**filters, "cursor": entry_id(last)})
    return render(request, "risk/lists.html", {**context, "entries": entries, "next_url": next_url}, viewer=viewer)


def _entry_form(request: Request, viewer: Viewer, typed: dict[str, str], errs: dict[str, str], status: int) -> Response:
    context = _options({"typed": scrubbed(typed), "errors": errs})  # never a card number back into a page
    return render(request, "risk/list_new.html", context, status, viewer)


@router.get("/risk/lists/new")
async def new_entry_form(request: Request, viewer: Analyst) -> Response:
    return _entry_form(request, viewer, {"kind": "end_user", "verdict": "block", "scope": "global"}, {}, 200)


def _expiry(text: str) -> datetime | str | None:
    """The form's `datetime-local` (read as UTC), or the text itself for the schema to refuse."""
    if not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post("/risk/lists/new")
async def add_entry(request: Request, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    typed = {k: fields.get(k, "") for k in _ENTRY_FIELDS}
    scope, company = typed["scope"], typed["company_id"].strip()
    if scope not in ("global", "company"):
        return _entry_form(request, viewer, typed, {"scope": "choose global or company"}, 422)
    if scope == "company" and not company:
        return _entry_form(request, viewer, typed, {"company_id": "name the company"}, 422)
    if scope == "global" and company:
        return _entry_form(request, viewer, typed, {"company_id": "leave empty for a global entry"}, 422)
    try:
        body = ListEntryIn.model_validate({
            "kind": typed["kind"], "value": typed["value"], "verdict": typed["verdict"],
            "company_id": company or None, "reason": typed["reason"], "expires_at": _expiry(typed["expires_at"]),
        })  # fmt: skip
        result = await rule_desk(request).lists.put(acting(request, viewer.user), body.new_entry())
    except ValidationError as e:
        return _entry_form(request, viewer, typed, schema_errors(e), 422)
    except DomainError as e:
        return _entry_form(request, viewer, typed, domain_errors(e, _ENTRY_FIELDS), e.status)
    return RedirectResponse(f"/admin/risk/lists?done={'added' if result.created else 'replaced'}", status_code=303)


@router.post("/risk/lists/remove")
async def remove_entry(request: Request, viewer: Analyst) -> Response:
    """The first post shows the entry and asks; the confirming post (`confirm=yes`) removes it."""
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    key = key_of(fields.get("entry", ""))
    if key is None:
        raise errors.not_found("No such list entry")
    lists = rule_desk(request).lists
    if fields.get("confirm") != "yes":
        entry = lists.entry(key)
        return render(request, "risk/list_remove.html", {"entry": entry, "entry_id": entry_id(key)}, viewer=viewer)
    await lists.remove(acting(request, viewer.user), key)
    return RedirectResponse("/admin/risk/lists?done=removed", status_code=303)
