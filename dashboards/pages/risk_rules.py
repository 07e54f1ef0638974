"""The rules editor: rules with their status and hit counts, a rule's versions, a new rule or
version with "check syntax", a test on a sample order or stored orders, and a backtest.

Each handler calls the rule use case the staff JSON routes (api/staff/rule_routes.py) call,
after parsing the form into the API's own schemas (RuleCreateIn, RuleVersionIn, ValidateIn,
RuleTestIn, BacktestIn); the hit counts are GET /staff/v1/fraud/rule-stats's. Reading needs
orders read, changing and trying rules risk review, as the JSON routes do.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import errors
from api.deps import services
from api.staff.auth import acting
from api.staff.fraud_schemas import RuleStatsParams
from api.staff.rule_service import RuleRefused
from api.staff.rule_schemas import RULE_ID, BacktestIn, RuleCreateIn, RuleTestIn, RuleVersionIn, ValidateIn
from dashboards.pages.risk_common import (
    domain_errors, error_position, flash, int_or_text, rule_desk, schema_errors, scrubbed,
)  # fmt: skip
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of, viewer_with
from detectors.rules.trials import HistoryPeriod
from domain.errors import DomainError
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer_with(Permission.ORDERS_READ))]
Analyst = Annotated[Viewer, Depends(viewer_with(Permission.RISK_REVIEW))]
DONE = ("created", "saved")
RULE_FIELDS = ("name", "expression", "action", "points", "priority", "mode", "description")
ACTIONS, MODES = ("allow", "review", "decline", "score"), ("active", "shadow")
_RULE_ID = re.compile(RULE_ID)
STATS_DAYS = 7


def _rule_input(fields: dict[str, str]) -> dict[str, Any]:
    typed = {k: fields.get(k, "") for k in RULE_FIELDS}
    return {**typed, "points": int_or_text(typed["points"] or "0"), "priority": int_or_text(typed["priority"] or "0")}


def _moment(text: str, field: str) -> datetime:
    """A date or datetime-local from the form, read as UTC; ValueError names the field."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(field) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _check(expression: str, request: Request) -> dict[str, Any]:
    """The syntax check's outcome: the names read, or the refusal with its line and column."""
    try:
        body = ValidateIn.model_validate({"expression": expression})
        names = rule_desk(request).rules.validate(body.expression).names
    except ValidationError as e:
        return {"ok": False, "message": schema_errors(e).get("expression", "invalid"), "position": None}
    except DomainError as e:
        return {"ok": False, "message": e.detail, "position": error_position(e.detail)}
    return {"ok": True, "names": names}


def _refusal(error: DomainError) -> dict[str, Any] | None:
    """A save refused for the expression, shown like a failed syntax check."""
    if not isinstance(error, RuleRefused) or error.pointer != "/expression":
        return None
    return {"ok": False, "message": error.detail, "position": error_position(error.detail)}


# --- the rules list ----------------------------------------------------------------------


@router.get("/risk/rules")
async def rules_page(request: Request, viewer: Reader) -> Response:
    admin = rule_desk(request).rules
    today = request.state.received_at.date()
    period = {"from": request.query_params.get("from", "") or (today - timedelta(days=STATS_DAYS)).isoformat(),
              "to": request.query_params.get("to", "") or (today + timedelta(days=1)).isoformat()}  # fmt: skip
    stats, stats_error = await _stats(request, period)
    context = {"rules": admin.rules(), "set_in_force": admin.current_set, "period": period, "stats": stats,
               "stats_error": stats_error}  # fmt: skip
    return render(request, "risk/rules.html", context, 422 if stats_error == "invalid" else 200, viewer)


async def _stats(request: Request, period: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """Hits per rule id (enforced and shadow, every version) of the period; or why there are none."""
    desk = services(request).staff.fraud
    if desk is None:  # this process does not read the decisions: the list works without them
        return None, "unavailable"
    try:
        params = RuleStatsParams.model_validate(
            {"from": _moment(period["from"], "from"), "to": _moment(period["to"], "to"), "company_id": None}
        )
    except (ValueError, ValidationError):
        return None, "invalid"
    found = await desk.rule_stats(params.at_from, params.at_to, params.company_id)
    by_rule: dict[str, dict[str, int]] = {}
    for hit in found.rules:
        row = by_rule.setdefault(hit.rule_id, {"fired": 0, "shadow": 0})
        row["fired"] += hit.fired
        row["shadow"] += hit.shadow
    return {"decisions": found.decisions, "by_rule": by_rule}, ""


# --- a new rule ----------------------------------------------------------------------------


def _new_form(request: Request, viewer: Viewer, typed: dict[str, str], errs: dict[str, str], status: int = 200,
              check: dict[str, Any] | None = None) -> Response:  # fmt: skip
    context = {"typed": scrubbed(typed), "errors": errs, "check": check, "actions": ACTIONS, "modes": MODES}
    return render(request, "risk/rule_new.html", context, status, viewer)


@router.get("/risk/rules/new-rule")
async def new_rule_form(request: Request, viewer: Analyst) -> Response:
    defaults = {"action": "review", "mode": "shadow", "points": "0", "priority": "0"}
    return _new_form(request, viewer, defaults, {})


@router.post("/risk/rules/new-rule")
async def create_rule(request: Request, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    typed = {k: fields.get(k, "") for k in ("id", *RULE_FIELDS)}
    if fields.get("intent") == "check":
        check = _check(typed["expression"], request)
        return _new_form(request, viewer, typed, {}, 200 if check["ok"] else 422, check)
    try:
        body = RuleCreateIn.model_validate({"id": typed["id"], **_rule_input(fields)})
        await rule_desk(request).rules.create(acting(request, viewer.user), body.id, body.draft())
    except ValidationError as e:
        return _new_form(request, viewer, typed, schema_errors(e), 422)
    except DomainError as e:
        check = _refusal(e)
        return _new_form(request, viewer, typed, domain_errors(e, ("id", *RULE_FIELDS)), e.status, check)
    return RedirectResponse(f"/admin/risk/rules/{typed['id']}?done=created", status_code=303)


# --- one rule: versions, a new version, test and backtest --------------------------------


def _rule_id(rule_id: str) -> str:
    if len(rule_id) > 64 or not _RULE_ID.match(rule_id):
        raise errors.not_found(f"No rule {rule_id[:64]}")
    return rule_id


async def _rule_page(request: Request, viewer: Viewer, rule_id: str, status: int = 200, **extra: Any) -> Response:
    admin = rule_desk(request).rules
    history = admin.rule(_rule_id(rule_id))
    latest = history.latest.rule
    try:
        names = admin.validate(latest.expression).names
    except DomainError:
        names = ()
    context: dict[str, Any] = {
        "history": history, "latest": latest, "typed": {k: str(v) for k, v in latest.to_dict().items()},
        "errors": {}, "check": None, "actions": ACTIONS, "modes": MODES, "flash": "", "test": None,
        "test_typed": {"sample": json.dumps({n: 0 for n in names}, indent=1), "order_ids": "", "version": ""},
        "backtest": None, "backtest_typed": _backtest_defaults(request), "base_version": latest.version, **extra,
    }  # fmt: skip
    for shown in ("typed", "test_typed", "backtest_typed"):  # never a card number back into a page
        context[shown] = scrubbed(context[shown])
    return render(request, "risk/rule.html", context, status, viewer)


def _backtest_defaults(request: Request) -> dict[str, str]:
    today = request.state.received_at.date()
    return {"from": (today - timedelta(days=STATS_DAYS)).isoformat(), "to": (today + timedelta(days=1)).isoformat(),
            "company_id": "", "version": ""}  # fmt: skip


@router.get("/risk/rules/{rule_id}")
async def rule_page(request: Request, rule_id: str, viewer: Reader, done: str | None = None) -> Response:
    return await _rule_page(request, viewer, rule_id, flash=flash(done, DONE))


@router.post("/risk/rules/{rule_id}/versions")
async def add_version(request: Request, rule_id: str, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    _rule_id(rule_id)
    typed = {k: fields.get(k, "") for k in RULE_FIELDS}
    base = int_or_text(fields.get("base_version", ""))
    if fields.get("intent") == "check":
        check = _check(typed["expression"], request)
        return await _rule_page(request, viewer, rule_id, 200 if check["ok"] else 422, typed=typed, check=check,
                                base_version=base)  # fmt: skip
    try:
        body = RuleVersionIn.model_validate({"base_version": base, **_rule_input(fields)})
        saved = await rule_desk(request).rules.add_version(acting(request, viewer.user), rule_id, body.base_version,
                                                           body.draft())  # fmt: skip
    except ValidationError as e:
        return await _rule_page(request, viewer, rule_id, 422, typed=typed, errors=schema_errors(e), base_version=base)
    except DomainError as e:
        if e.status == 404:
            raise
        check = _refusal(e)
        errs = domain_errors(e, ("base_version", *RULE_FIELDS))
        return await _rule_page(request, viewer, rule_id, e.status, typed=typed, errors=errs, check=check,
                                base_version=base)  # fmt: skip
    return RedirectResponse(f"/admin/risk/rules/{rule_id}?done=saved#v{saved.rule.version}", status_code=303)


def _version(text: str) -> int | str | None:
    return None if not text.strip() else int_or_text(text)


def _test_input(fields: dict[str, str]) -> dict[str, Any]:
    """RuleTestIn's input: order ids if any are typed, else the sample (an object or a list)."""
    body: dict[str, Any] = {"version": _version(fields.get("version", ""))}
    ids = [i for i in re.split(r"[\s,]+", fields.get("order_ids", "")) if i]
    if ids:
        return {**body, "order_ids": ids}
    try:
        sample = json.loads(fields.get("sample", "") or "null")
    except (ValueError, RecursionError):
        raise ValueError("sample") from None
    return {**body, "samples": sample if isinstance(sample, list) else [sample]}


@router.post("/risk/rules/{rule_id}/test")
async def test_rule(request: Request, rule_id: str, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    _rule_id(rule_id)
    typed = {k: fields.get(k, "") for k in ("sample", "order_ids", "version")}
    page = {"test_typed": typed}
    try:
        body = RuleTestIn.model_validate(_test_input(fields))
        result = await rule_desk(request).trials.test(rule_id, body.version, body.order_ids, body.samples)
    except ValidationError as e:
        names = {"samples": "sample", "order_ids": "order_ids", "version": "version"}
        return await _rule_page(request, viewer, rule_id, 422, errors=schema_errors(e, names), **page)
    except ValueError:
        return await _rule_page(request, viewer, rule_id, 422, errors={"sample": "not valid JSON"}, **page)
    except DomainError as e:
        errs = domain_errors(e, ("sample", "order_ids", "version"), "sample")
        return await _rule_page(request, viewer, rule_id, e.status, errors=errs, **page)
    return await _rule_page(request, viewer, rule_id, test=result, **page)


@router.post("/risk/rules/{rule_id}/backtest")
async def backtest_rule(request: Request, rule_id: str, viewer: Analyst) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    _rule_id(rule_id)
    typed = {k: fields.get(k, "") for k in ("from", "to", "company_id", "version")}
    page = {"backtest_typed": typed}
    try:
        body = BacktestIn.model_validate({
            "from": _moment(typed["from"], "from"), "to": _moment(typed["to"], "to"),
            "company_id": typed["company_id"].strip() or None, "version": _version(typed["version"]),
        })  # fmt: skip
        period = HistoryPeriod(body.period_from, body.period_to, body.company_id)
        result = await rule_desk(request).trials.backtest(rule_id, body.version, period)
    except ValidationError as e:
        names = {"period_from": "from", "period_to": "to"}
        return await _rule_page(request, viewer, rule_id, 422, errors=schema_errors(e, names), **page)
    except ValueError as e:
        return await _rule_page(request, viewer, rule_id, 422, errors={str(e): "not a date"}, **page)
    except DomainError as e:
        errs = domain_errors(e, ("from", "to", "company_id", "version"), "to")
        return await _rule_page(request, viewer, rule_id, e.status, errors=errs, **page)
    return await _rule_page(request, viewer, rule_id, backtest=result, **page)
