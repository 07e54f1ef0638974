"""What the Risk pages share: the desks they call (the same the staff JSON API calls), the
read dependency the fraud routes use, and turning schema or domain errors into field messages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from api import errors
from api.deps import services
from api.staff.fraud_service import FraudDesk
from api.staff.rule_desk import RuleDesk
from api.staff.rule_routes import desk as rule_desk_of
from dashboards.web import Viewer, viewer_with
from domain.cards import contains_card_number
from domain.errors import DomainError
from domain.staff import Permission

_INT = re.compile(r"^[+-]?[0-9]{1,10}$")
_ATTEMPT = re.compile(r"^[0-9a-f]{32}$")
# "line 2, column 3: unknown identifier …" as the rule compiler words its refusals
_POSITION = re.compile(r"line (\d+), column (\d+): (.*)", re.S)


def fraud_desk(request: Request) -> FraudDesk:
    desk = services(request).staff.fraud
    if desk is None:  # as the JSON route: this process does not read the fraud tables
        raise errors.Problem(503, "fraud-review-unavailable", "Fraud review is not available here")
    return desk


def rule_desk(request: Request) -> RuleDesk:
    return rule_desk_of(request)


def viewer_with_any(*permissions: Permission) -> Callable[[Request], Awaitable[Viewer]]:
    """A signed-in viewer holding at least one of the permissions (the fraud reads' rule)."""
    signed_in = viewer_with()

    async def dependency(request: Request) -> Viewer:
        viewer = await signed_in(request)
        if not any(viewer.may(p) for p in permissions):
            raise errors.permission_denied(" or ".join(p.value for p in permissions))
        return viewer

    return dependency


def int_or_text(text: str) -> int | str:
    """A whole number the form typed, else the text itself (the strict schemas refuse it)."""
    return int(text) if _INT.match(text.strip()) else text


def new_attempt() -> str:
    """A form's retry key: posting the same form twice sends one command (Idempotency-Key)."""
    return secrets.token_hex(16)


def attempt_of(fields: dict[str, str]) -> str | None:
    given = fields.get("attempt", "")
    return given if _ATTEMPT.match(given) and not contains_card_number(given) else None


def schema_errors(error: ValidationError, names: dict[str, str] | None = None) -> dict[str, str]:
    """Field name → message; `names` maps a schema field to the form field showing it."""
    out: dict[str, str] = {}
    for e in error.errors():
        loc = [str(p) for p in e.get("loc", ())]
        key = loc[0] if loc else "form"
        key = (names or {}).get(key, key)
        out.setdefault(key, str(e.get("msg", "invalid")).removeprefix("Value error, "))
    return out


def domain_errors(error: DomainError | errors.Problem, known: Iterable[str], fallback: str = "form") -> dict[str, str]:
    """The use case's refusal as a message on the field its pointer names (else `fallback`)."""
    if isinstance(error, errors.Problem):
        pointer = error.errors[0].pointer if error.errors else ""
        detail = error.errors[0].message if error.errors else (error.detail or error.title)
    else:
        pointer, detail = error.pointer, error.detail
    field = pointer.strip("/").split("/")[0]
    return {field if field in set(known) else fallback: detail}


def error_position(message: str) -> dict[str, Any] | None:
    """Line, column, the message and its hint ("did you mean …"), from a rule compiler refusal."""
    found = _POSITION.search(message)
    if found is None:
        return None
    message, _, hint = found.group(3).partition("; ")
    return {"line": int(found.group(1)), "column": int(found.group(2)), "message": message, "hint": hint}


def scrubbed(typed: dict[str, Any]) -> dict[str, Any]:
    """What the user typed, to show again in a refused form, without any card number in it."""
    return {k: "" if isinstance(v, str) and contains_card_number(v) else v for k, v in typed.items()}


def flash(done: str | None, allowed: Iterable[str]) -> str:
    return f"risk.done.{done}" if done in set(allowed) else ""
