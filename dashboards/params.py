"""A page's query (or form) decoded into the staff API's own parameter models, the way FastAPI
decodes `Annotated[Model, Query()]` for the JSON route: so a page refuses exactly what the API
refuses, with the same 422 problem, whose field errors the page shows next to its fields.

What a page adds before decoding, because people fill in forms rather than write URLs:
blank fields mean "not set" (a GET form sends every field), repeatable fields may also be
comma-separated (and a posted form's repeated fields arrive joined by commas, see
`web.form_of`), and a time without a zone (an `<input type=datetime-local>`) is UTC.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api import errors
from api.problems import validation_problem
from dashboards.i18n import Translator
from domain.errors import DomainError

M = TypeVar("M", bound=BaseModel)
Items = list[tuple[str, str]]
ECHO_LIMIT = 1000  # longest value a page echoes back into its form (the longest valid is 500)
_NAIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,6})?)?)?$")

# Pydantic's error types (and our own codes), as messages people can act on.
_MESSAGES = {
    "missing": "form.required",
    "string_too_short": "form.required",
    "string_too_long": "form.too_long",
    "too_long": "reports.error.too_many",
    "enum": "reports.error.choice",
    "string_pattern_mismatch": "form.invalid",
    "int_parsing": "reports.error.whole_number",
    "int_type": "reports.error.whole_number",
    "int_from_float": "reports.error.whole_number",
    "greater_than_equal": "reports.error.range",
    "less_than_equal": "reports.error.range",
    "bool_parsing": "form.invalid",
    "datetime_parsing": "reports.error.datetime",
    "datetime_from_date_parsing": "reports.error.datetime",
    "datetime_type": "reports.error.datetime",
    "timezone_aware": "reports.error.datetime",
    "extra_forbidden": "reports.error.unknown",
    "decimal": "reports.error.decimal",
    "decimal_places": "reports.error.decimal_places",
}
_FIELD_MESSAGES = {  # a field's own wording for a code, where the generic one says too little
    ("to", "out_of_range"): "reports.error.to_after_from",
    ("to", "invalid"): "reports.error.to_after_from",
    ("amount_max", "out_of_range"): "reports.error.max_below_min",
    ("amount_max", "invalid"): "reports.error.max_below_min",
    ("status_max", "invalid"): "reports.error.max_below_min",
    ("cursor", "invalid"): "reports.error.cursor",
    ("company_id", "string_pattern_mismatch"): "reports.error.company_id",
    ("currency", "string_pattern_mismatch"): "reports.error.currency",
    ("card_last4", "string_pattern_mismatch"): "reports.error.card_last4",
}


def _is_list(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and typing.get_origin(field.annotation) is list


def _alias_names(model: type[BaseModel]) -> dict[str, str]:
    """Query name → field name (`from` → `created_from`)."""
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def utc_if_naive(value: str) -> str:
    """`2026-11-01`, `2026-11-01T09:30` (datetime-local) → the same time in UTC, with its zone;
    anything else is left for the model to accept or refuse."""
    found = _NAIVE_TIME.match(value.strip())
    if not found:
        return value
    day, clock, rest = found.groups()
    return f"{day}T{clock or '00:00'}{rest or ':00'}Z"


def datetime_local(value: str) -> str:
    """A time as an `<input type=datetime-local step=1>` shows it (UTC, no zone); a value that
    is not a time is returned as typed (the page shows why it was refused)."""
    try:
        at = datetime.fromisoformat(utc_if_naive(value))
    except ValueError:
        return value
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def filled(items: Iterable[tuple[str, str]], skip: Sequence[str] = ()) -> Items:
    """The query without blank values or the names in `skip`."""
    return [(k, v) for k, v in items if k not in skip and v.strip() != ""]


def decode(model: type[M], items: Items, times: Sequence[str] = ("from", "to")) -> M:
    """Decodes like FastAPI's query model: a list field takes every value of its name, any other
    field the last one, and unknown names are kept so the model refuses them. Raises the same
    422 Problem (`/query/<name>` pointers) as the JSON route."""
    aliases = _alias_names(model)
    data: dict[str, object] = {}
    for name, value in items:
        if name in times:
            value = utc_if_naive(value)
        if _is_list(model, aliases.get(name, name)):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            current = data.setdefault(name, [])
            assert isinstance(current, list)
            current.extend(parts)
        else:
            data[name] = value
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raw = [dict(e, loc=("query", *e["loc"])) for e in invalid.errors()]
        raise validation_problem(RequestValidationError(raw)) from None


def problem_of(exc: DomainError | errors.Problem) -> errors.Problem:
    """A use case's refusal as the problem the JSON API would answer (api/problems.py)."""
    if isinstance(exc, errors.Problem):
        return exc
    fields = [errors.FieldError(exc.pointer, "invalid", exc.detail)] if exc.pointer else []
    return errors.Problem(exc.status, exc.slug, exc.title, exc.detail, fields)


def field_name(pointer: str) -> str:
    """`/query/status/0` → `status`; `/to` → `to`; `amount_max` → `amount_max`."""
    parts = [p for p in pointer.split("/") if p]
    if parts and parts[0] == "query":
        parts = parts[1:]
    return parts[0] if parts else ""


def field_messages(problem: errors.Problem, t: Translator) -> dict[str, str]:
    """One message per field (the first), in the viewer's language where we have the wording;
    a refusal without a field goes under "" (shown above the form)."""
    messages: dict[str, str] = {}
    for e in problem.errors:
        name = field_name(e.pointer)
        key = _FIELD_MESSAGES.get((name, e.code)) or _MESSAGES.get(e.code)
        text = t(key, name=name[:60]) if key else e.message
        messages.setdefault(name, text)
    if not messages:
        messages[""] = problem.detail or problem.title
    return messages


def echo(items: Items, times: Sequence[str] = ("from", "to")) -> dict[str, str]:
    """What the viewer typed, per field (repeated values comma-joined), to show again in the form
    (autoescaped by the template); capped so a huge refused value is not sent back whole."""
    values: dict[str, str] = {}
    for name, value in items:
        values[name] = (values[name] + "," + value) if name in values else value
    shown = {name: value[:ECHO_LIMIT] for name, value in values.items()}
    for name in times:
        if name in shown:
            shown[name] = datetime_local(shown[name])
    return shown


def chosen(items: Items, name: str) -> list[str]:
    """Every value given for a repeatable field (checkboxes, or comma-separated)."""
    return [p.strip() for k, v in items if k == name for p in v.split(",") if p.strip()]


def query_string(items: Iterable[tuple[str, str]], **changes: str | None) -> str:
    """The query with some names replaced (None: removed), for links to other states of a page."""
    kept = [(k, v) for k, v in items if k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(kept)
