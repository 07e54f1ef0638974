"""Staff routes for fraud rules and published rule sets: decode, call one use case, encode.

Reading needs orders.read (every role that may change rules has it); changing needs
risk.review.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api import errors
from api.deps import require_json, services
from api.staff.auth import acting, require
from api.staff.rule_desk import RuleDesk
from api.staff.rule_schemas import (
    RULE_ID, BacktestIn, BacktestOut, PublishIn, RollbackIn, RuleCreateIn, RuleList, RuleOut, RuleSetList,
    RuleSetOut, RuleTestIn, RuleTestOut, RuleVersionIn, RuleVersionOut, ValidateIn, ValidateOut,
)  # fmt: skip
from api.staff.rule_service import RuleAdmin
from api.staff.rule_trials import RuleTrials
from detectors.rules.trials import HistoryPeriod
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/fraud", tags=["staff: fraud rules"])
Reader = Annotated[StaffUser, Depends(require(Permission.ORDERS_READ))]
Analyst = Annotated[StaffUser, Depends(require(Permission.RISK_REVIEW))]
Json = Annotated[None, Depends(require_json)]
RuleIdPath = Annotated[str, Path(max_length=64, pattern=RULE_ID)]


def desk(request: Request) -> RuleDesk:
    found = services(request).staff.rule_desk
    if found is None:  # this process does not replicate the rules and lists topics
        raise errors.Problem(503, "fraud-rules-unavailable", "Fraud rules and lists are not available here")
    return found


def _rules(request: Request) -> RuleAdmin:
    return desk(request).rules


def _trials(request: Request) -> RuleTrials:
    return desk(request).trials


@router.get("/rules", response_model=RuleList)
async def list_rules(request: Request, _user: Reader) -> RuleList:
    admin = _rules(request)
    return RuleList(set_in_force=admin.current_set, data=[RuleOut.from_history(h) for h in admin.rules()])


@router.get("/rules/{rule_id}", response_model=RuleOut)
async def get_rule(request: Request, rule_id: RuleIdPath, _user: Reader) -> RuleOut:
    return RuleOut.from_history(_rules(request).rule(rule_id))


@router.post("/rules/validate", response_model=ValidateOut)
async def validate_rule(request: Request, _user: Analyst, _json: Json, body: ValidateIn) -> ValidateOut:
    """200 with the names the expression reads, or 422 naming the line and column at fault."""
    return ValidateOut(names=list(_rules(request).validate(body.expression).names))


@router.post("/rules", status_code=201, response_model=RuleVersionOut)
async def create_rule(
    request: Request, response: Response, user: Analyst, _json: Json, body: RuleCreateIn
) -> RuleVersionOut:
    """Version 1 of a new rule; it is enforced (or shadowed) once a published set uses it."""
    saved = await _rules(request).create(acting(request, user), body.id, body.draft())
    response.headers["Location"] = f"/staff/v1/fraud/rules/{body.id}"
    return RuleVersionOut.from_saved(saved)


@router.post("/rules/{rule_id}/versions", status_code=201, response_model=RuleVersionOut)
async def add_rule_version(
    request: Request, response: Response, rule_id: RuleIdPath, user: Analyst, _json: Json, body: RuleVersionIn
) -> RuleVersionOut:
    saved = await _rules(request).add_version(acting(request, user), rule_id, body.base_version, body.draft())
    response.headers["Location"] = f"/staff/v1/fraud/rules/{rule_id}"
    return RuleVersionOut.from_saved(saved)


@router.post("/rules/{rule_id}/test", response_model=RuleTestOut)
async def test_rule(request: Request, rule_id: RuleIdPath, _user: Analyst, _json: Json, body: RuleTestIn) -> RuleTestOut:
    """Fired or not, and the values read, per stored order or sample (default version: the
    one in force, else the latest)."""
    return RuleTestOut.from_test(await _trials(request).test(rule_id, body.version, body.order_ids, body.samples))


@router.post("/rules/{rule_id}/backtest", response_model=BacktestOut, response_model_by_alias=True)
async def backtest_rule(
    request: Request, rule_id: RuleIdPath, _user: Analyst, _json: Json, body: BacktestIn
) -> BacktestOut:
    """Hits, hits per day, precision and recall against confirmed frauds over [from, to), and
    the same for the version in force."""
    period = HistoryPeriod(body.period_from, body.period_to, body.company_id)
    return BacktestOut.from_backtest(await _trials(request).backtest(rule_id, body.version, period))


@router.get("/rulesets", response_model=RuleSetList)
async def list_rule_sets(request: Request, _user: Reader) -> RuleSetList:
    admin = _rules(request)
    return RuleSetList(in_force=admin.current_set, data=[RuleSetOut.from_view(v) for v in admin.sets()])


@router.post("/rulesets/publish", status_code=201, response_model=RuleSetOut)
async def publish_rule_set(request: Request, user: Analyst, _json: Json, body: PublishIn) -> RuleSetOut:
    """Compiles the whole set, then writes it as the next set version and makes it current."""
    published = await _rules(request).publish(acting(request, user), body.rules, body.changes, body.base_set, body.note)
    return RuleSetOut.from_published(published)


@router.post("/rulesets/rollback", status_code=201, response_model=RuleSetOut)
async def roll_back_rule_set(request: Request, user: Analyst, _json: Json, body: RollbackIn) -> RuleSetOut:
    """Publishes an earlier set's rules (0: the built-in defaults) as a new set."""
    published = await _rules(request).rollback(acting(request, user), body.to_set, body.base_set, body.note)
    return RuleSetOut.from_published(published)
