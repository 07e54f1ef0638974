"""A company's balance actions: top-up, adjustment, credit limit, low-balance threshold,
limits, block / unblock. Each is a form, a confirmation step, then the balance use case the
staff JSON API calls (api/staff/balance_routes.py), with the same permission and schemas.

Idempotency: the first (validating) post draws a random key and carries it in a hidden field;
the confirming post sends it as the ledger command's id ("top-up:<key>" for a top-up, as the
JSON API names an Idempotency-Key), and the ledger applies a command id once, so a confirm
clicked twice (or re-posted by the browser) moves the money once. Editing the values goes back
to the form, whose next validation draws a new key.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api import errors
from api.balance_schemas import (
    AdjustmentIn,
    BlockIn,
    CreditLimitIn,
    LimitsIn,
    LowBalanceThresholdIn,
    TopUpIn,
)
from api.deps import services
from api.staff.auth import acting
from dashboards.amounts import (
    AmountError,
    as_typed,
    parse_amount,
    parse_optional_amount,
)
from dashboards.formats import money
from dashboards.pages.company_common import (
    FORM_LEVEL,
    SignedIn,
    company_of,
    confirm_page,
    field_errors,
)
from dashboards.render import render
from dashboards.web import Viewer, check_csrf, form_of
from domain.companies import Company
from domain.errors import DomainError
from domain.ledger import Account, Limits
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.money import CURRENCY_EXPONENTS
from domain.staff import Permission

router = APIRouter(include_in_schema=False)
KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
LIMIT_FIELDS = ("per_order", "per_day", "per_month", "per_end_user_day")
MAX_PRODUCT_LINES = 100


@dataclass(frozen=True, slots=True)
class MoneyAction:
    slug: str  # in the URL
    kind: CommandKind
    permission: Permission  # as the JSON API's route for it
    fields: tuple[str, ...]  # the form's fields besides the currency

    @property
    def name(self) -> str:  # in translation keys and the audit action (balance.<name>)
        return self.kind.value


ACTIONS: dict[str, MoneyAction] = {
    a.slug: a
    for a in (
        MoneyAction("top-up", CommandKind.TOP_UP, Permission.BALANCES_WRITE, ("amount", "reference")),
        MoneyAction("adjust", CommandKind.ADJUST, Permission.BALANCES_ADJUST, ("amount", "reason")),
        MoneyAction("credit-limit", CommandKind.SET_CREDIT_LIMIT, Permission.BALANCES_WRITE, ("credit_limit",)),
        MoneyAction("threshold", CommandKind.SET_LOW_BALANCE_THRESHOLD, Permission.BALANCES_WRITE, ("threshold",)),
        MoneyAction("limits", CommandKind.SET_LIMITS, Permission.BALANCES_WRITE, (*LIMIT_FIELDS, "per_product_day")),
        MoneyAction("block", CommandKind.BLOCK, Permission.BALANCES_WRITE, ("reason",)),
        MoneyAction("unblock", CommandKind.UNBLOCK, Permission.BALANCES_WRITE, ()),
    )
}


@dataclass(frozen=True, slots=True)
class ShownAction:
    """An action as the company page offers it to this viewer."""

    slug: str
    name: str
    allowed: bool


def actions_for(viewer: Viewer) -> list[ShownAction]:
    return [ShownAction(a.slug, a.name, viewer.may(a.permission)) for a in ACTIONS.values()]


class FormErrors(Exception):
    def __init__(self, found: dict[str, str]) -> None:
        self.found = found


@dataclass(frozen=True, slots=True)
class Checked:
    """A validated action: what the command carries, what the audit records, what to confirm."""

    command: dict[str, Any]
    details: dict[str, Any]
    facts: list[tuple[str, str]]
    amount: str = ""  # the amount as the confirmation sentence says it, for money moves


def _schema(model: type[BaseModel], body: dict[str, Any], viewer: Viewer, by_field: dict[str, str] | None = None) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise FormErrors(field_errors(exc, viewer, by_field)) from None


def _amounts(typed: dict[str, str], names: tuple[str, ...], currency: str, viewer: Viewer, *,
             signed: bool = False, optional: bool = False) -> dict[str, int | None]:  # fmt: skip
    found: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for name in names:
        try:
            found[name] = (
                parse_optional_amount(typed[name], currency, viewer.locale)
                if optional
                else parse_amount(typed[name], currency, viewer.locale, signed=signed)
            )
        except AmountError as error:
            problems[name] = viewer.t("amount." + error.code)
    if problems:
        raise FormErrors(problems)
    return found


def _product_caps(text: str, currency: str, viewer: Viewer) -> dict[str, int]:
    """Lines of "product-id amount"; the schema checks the ids and the amounts' range."""
    caps: dict[str, int] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_PRODUCT_LINES:
        raise FormErrors({"per_product_day": viewer.t("form.too_long")})
    for line in lines:
        product, _, typed = line.partition(" ")
        try:
            caps[product] = parse_amount(typed, currency, viewer.locale)
        except AmountError as error:
            message = viewer.t("companies.balance.err.product_line", line=line[:80]) + " " + viewer.t("amount." + error.code)
            raise FormErrors({"per_product_day": message}) from None
    return caps


def _money(minor: int | None, currency: str, viewer: Viewer) -> str:
    return money(minor, currency, viewer.locale) if minor is not None else viewer.t("companies.balance.limit.none")


def _current(action: MoneyAction, account: Account | None, viewer: Viewer) -> dict[str, str]:
    """A settings form starts from the account's current settings (what a limits form does
    not carry, it would clear)."""
    typed = {name: "" for name in action.fields}
    if account is None:
        return typed
    c, locale = account.currency, viewer.locale
    if action.kind is CommandKind.SET_CREDIT_LIMIT:
        typed["credit_limit"] = as_typed(account.credit_limit, c, locale)
    elif action.kind is CommandKind.SET_LOW_BALANCE_THRESHOLD:
        typed["threshold"] = as_typed(account.low_balance_threshold, c, locale)
    elif action.kind is CommandKind.SET_LIMITS:
        typed.update({n: as_typed(getattr(account.limits, n), c, locale) for n in LIMIT_FIELDS})
        typed["per_product_day"] = "\n".join(f"{p} {as_typed(v, c, locale)}" for p, v in account.limits.per_product_day)
    return typed


def check(action: MoneyAction, typed: dict[str, str], currency: str, viewer: Viewer) -> Checked:
    """The typed values through the JSON API's schema for the action; FormErrors if not."""
    t = viewer.t
    if action.kind is CommandKind.TOP_UP:
        amount = _amounts(typed, ("amount",), currency, viewer)["amount"]
        body = _schema(TopUpIn, {"amount": amount, "reference": typed["reference"].strip()}, viewer)
        shown = _money(body.amount, currency, viewer)
        facts = [(t("companies.balance.amount"), shown), (t("companies.balance.reference"), body.reference or "—")]
        return Checked({"amount": body.amount, "reference": body.reference}, body.model_dump(), facts, shown)
    if action.kind is CommandKind.ADJUST:
        amount = _amounts(typed, ("amount",), currency, viewer, signed=True)["amount"]
        body = _schema(AdjustmentIn, {"amount": amount, "reason": typed["reason"]}, viewer, {"amount": "amount.nonzero"})
        shown = _money(body.amount, currency, viewer)
        facts = [(t("companies.balance.amount"), shown), (t("companies.balance.reason"), body.reason)]
        return Checked({"amount": body.amount, "reason": body.reason}, body.model_dump(), facts, shown)
    if action.kind is CommandKind.SET_CREDIT_LIMIT:
        limit = _amounts(typed, ("credit_limit",), currency, viewer)["credit_limit"]
        body = _schema(CreditLimitIn, {"credit_limit": limit}, viewer)
        return Checked({"credit_limit": body.credit_limit}, body.model_dump(),
                       [(t("companies.balance.credit_limit"), _money(body.credit_limit, currency, viewer))])  # fmt: skip
    if action.kind is CommandKind.SET_LOW_BALANCE_THRESHOLD:
        threshold = _amounts(typed, ("threshold",), currency, viewer, optional=True)["threshold"]
        body = _schema(LowBalanceThresholdIn, {"threshold": threshold}, viewer)
        shown = _money(body.threshold, currency, viewer) if body.threshold is not None else t("companies.balance.threshold.off")
        return Checked({"low_balance_threshold": body.threshold}, body.model_dump(), [(t("companies.balance.threshold"), shown)])
    if action.kind is CommandKind.SET_LIMITS:
        caps = _amounts(typed, LIMIT_FIELDS, currency, viewer, optional=True)
        body = _schema(LimitsIn, {**caps, "per_product_day": _product_caps(typed["per_product_day"], currency, viewer)}, viewer)
        limits = Limits(body.per_order, body.per_day, body.per_month, body.per_end_user_day,
                        tuple(sorted(body.per_product_day.items())))  # fmt: skip
        facts = [(t("companies.balance.limit." + n), _money(getattr(body, n), currency, viewer)) for n in LIMIT_FIELDS]
        facts += [(t("companies.balance.limit.product", product=p), _money(v, currency, viewer)) for p, v in limits.per_product_day]
        return Checked({"limits": limits}, body.model_dump(), facts)
    if action.kind is CommandKind.BLOCK:
        body = _schema(BlockIn, {"reason": typed["reason"]}, viewer)
        return Checked({"reason": body.reason}, body.model_dump(), [(t("companies.balance.reason"), body.reason)])
    return Checked({}, {}, [])


def _currency(fields: dict[str, str], viewer: Viewer) -> str:
    currency = fields.get("currency", "")
    if currency not in CURRENCY_EXPONENTS:
        raise FormErrors({"currency": viewer.t("companies.balance.err.currency")})
    return currency


def _action(slug: str, viewer: Viewer) -> MoneyAction:
    action = ACTIONS.get(slug)
    if action is None:
        raise errors.not_found(f"No balance action {slug[:40]}")
    if not viewer.may(action.permission):
        raise errors.permission_denied(action.permission.value)
    return action


def _form(request: Request, viewer: Viewer, company: Company, action: MoneyAction, currency: str,
          typed: dict[str, str], found: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    accounts = {a.currency: a for a in services(request).balances.accounts(company.id)}
    currencies = [*accounts, *sorted(c for c in CURRENCY_EXPONENTS if c not in accounts)]
    context = {
        "company": company, "action": action, "currency": currency, "typed": typed,
        "errors": found or {}, "currency_options": [(c, c) for c in currencies], "account": accounts.get(currency),
    }  # fmt: skip
    return render(request, "companies/balance_form.html", context, status=status, viewer=viewer)


@router.get("/companies/{company_id}/balance/{slug}")
async def balance_form(request: Request, company_id: str, slug: str, viewer: SignedIn, currency: str = "") -> Response:
    action = _action(slug, viewer)
    company = company_of(request, company_id)
    accounts = {a.currency: a for a in services(request).balances.accounts(company.id)}
    currency = currency if currency in CURRENCY_EXPONENTS else next(iter(accounts), "RUB")
    typed = _current(action, accounts.get(currency), viewer)
    return _form(request, viewer, company, action, currency, typed)


@router.post("/companies/{company_id}/balance/{slug}")
async def balance_action(request: Request, company_id: str, slug: str, viewer: SignedIn) -> Response:
    fields = await form_of(request)
    check_csrf(request, viewer, fields)
    action = _action(slug, viewer)
    company = company_of(request, company_id)
    typed = {name: fields.get(name, "") for name in action.fields}
    shown_currency = fields.get("currency", "")[:3]
    try:
        currency = _currency(fields, viewer)
        checked = check(action, typed, currency, viewer)
    except FormErrors as refused:
        return _form(request, viewer, company, action, shown_currency, typed, refused.found, status=422)
    step = fields.get("confirm", "")
    if step == "edit":
        return _form(request, viewer, company, action, currency, typed)
    if step != "yes":
        hidden = {"currency": currency, **typed, "key": secrets.token_urlsafe(24)}
        return confirm_page(
            request, viewer, company, title=viewer.t(f"companies.balance.action.{action.name}"),
            message=viewer.t(f"companies.balance.confirm.{action.name}", company=company.profile.name,
                           currency=currency, amount=checked.amount),
            action=f"/admin/companies/{company.id}/balance/{action.slug}", hidden=hidden,
            facts=checked.facts, danger=action.kind in (CommandKind.BLOCK, CommandKind.ADJUST), can_edit=True,
        )  # fmt: skip
    key = fields.get("key", "")
    if not KEY.match(key):
        found = {FORM_LEVEL: viewer.t("companies.balance.err.key")}
        return _form(request, viewer, company, action, currency, typed, found, status=422)
    command_id = f"top-up:{key}" if action.kind is CommandKind.TOP_UP else f"{action.slug}:{key}"
    command = BalanceCommand(
        command_id=command_id, company_id=company.id, kind=action.kind, currency=currency, actor="",
        at=request.state.received_at, **checked.command,
    )  # fmt: skip
    try:
        await services(request).balances.apply(acting(request, viewer.user), command, checked.details)
    except DomainError as error:
        found = {FORM_LEVEL: error.detail}
        return _form(request, viewer, company, action, currency, typed, found, status=error.status)
    return RedirectResponse(f"/admin/companies/{company.id}?done=balance.{action.name}#balances", status_code=303)
