"""Published rule sets: their history, publishing the drafts (rule versions newer than the set
in force uses, or rules it does not use yet) and rolling back, each with a confirmation step.

Calls the rule use cases POST /staff/v1/fraud/rulesets/publish and /rollback call, with the
API's own PublishIn and RollbackIn; reading needs orders read, changing risk review.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.staff.auth import acting
from api.staff.rule_schemas import PublishIn, RollbackIn
from api.staff.rule_service import RuleHistory
from dashboards.pages.risk_common import domain_errors, flash, int_or_text, rule_desk, schema_errors, scrubbed
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.ORDERS_READ))]
Analyst = Annotated[Viewer, Depends(viewer_with(Permission.RISK_REVIEW))]
DONE = ("published", "rolled_back")
DRAFT_PREFIX = "rule."  # a publish form's checkbox per draft: rule.<id> = <version>


def drafts(rules: list[RuleHistory]) -> list[RuleHistory]:
    """Rules whose latest version is not the one in force (newer, or not in the set at all)."""
    return [h for h in rules if h.in_force != h.latest.rule.version]


async def _sets_page(request: Request, viewer: Viewer, status: int = 200, **extra: Any) -> Response:
    admin = rule_desk(request).rules
    context = {"sets": list(reversed(admin.sets())), "in_force": admin.current_set, "drafts": drafts(admin.rules()),
               "errors": {}, "chosen": set(), "note": "", "flash": "", **extra}  # fmt: skip
    return render(request, "risk/rulesets.html", context, status, viewer)


@router.get("/risk/rule-sets")
async def rule_sets(request: Request, viewer: Reader, done: str | None = None) -> Response:
    return await _sets_page(request, viewer, flash=flash(done, DONE))


def _changes(fields: dict[str, str]) -> dict[str, Any]:
    return {k.removeprefix(DRAFT_PREFIX): int_or_text(v) for k, v in fields.items() if k.startswith(DRAFT_PREFIX)}


@router.post("/risk/rule-sets/publish")
async def publish(request: Request, viewer: Analyst) -> Response:
    """The drafts ticked, over the set in force: confirmed first, then published."""
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    changes, note = _changes(fields), fields.get("note", "")
    base = int_or_text(fields.get("base_set", ""))
    page = {"chosen": set(changes), "note": scrubbed({"note": note})["note"]}
    if not changes:
        return await _sets_page(request, viewer, 422, errors={"rules": "tick at least one draft"}, **page)
    try:
        body = PublishIn.model_validate({"set": changes, "note": note, "base_set": base})
        if fields.get("confirm") != "yes":
            context = {"body": body, "changes": sorted((body.changes or {}).items()), "kind": "publish"}
            return render(request, "risk/ruleset_confirm.html", context, viewer=viewer)
        published = await rule_desk(request).rules.publish(
            acting(request, viewer.user), body.rules, body.changes, body.base_set, body.note
        )
    except ValidationError as e:
        return await _sets_page(request, viewer, 422, errors=schema_errors(e, {"set": "rules"}), **page)
    except DomainError as e:
        return await _sets_page(request, viewer, e.status, errors=domain_errors(e, ("note", "base_set"), "rules"),
                                **page)  # fmt: skip
    return RedirectResponse(f"/admin/risk/rule-sets?done=published#set-{published.version}", status_code=303)


@router.post("/risk/rule-sets/rollback")
async def rollback(request: Request, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    raw = {"to_set": int_or_text(fields.get("to_set", "")), "note": fields.get("note", ""),
           "base_set": int_or_text(fields["base_set"]) if fields.get("base_set", "").strip() else None}  # fmt: skip
    try:
        body = RollbackIn.model_validate(raw)
        if fields.get("confirm") != "yes":
            return render(request, "risk/ruleset_confirm.html", {"body": body, "kind": "rollback"}, viewer=viewer)
        published = await rule_desk(request).rules.rollback(
            acting(request, viewer.user), body.to_set, body.base_set, body.note
        )
    except ValidationError as e:
        return await _sets_page(request, viewer, 422, errors=schema_errors(e, {"to_set": "rollback"}))
    except DomainError as e:
        return await _sets_page(request, viewer, e.status, errors=domain_errors(e, (), "rollback"))
    return RedirectResponse(f"/admin/risk/rule-sets?done=rolled_back#set-{published.version}", status_code=303)
