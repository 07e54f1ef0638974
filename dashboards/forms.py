"""Posted forms decoded by the same pydantic schemas the JSON API uses, so a page refuses
exactly what the API refuses; errors come back per field, for the form to show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
MAX_SHOWN_VALUE = 500  # what a refused form shows back of a value typed into it


def parse_form(schema: type[M], values: Mapping[str, object]) -> tuple[M | None, dict[str, str]]:
    """(the model, {}) or (None, {field: message}); a blank field counts as not given, and
    fields the schema does not declare (the CSRF token, buttons) are not its business."""
    given = {
        k: v for k, v in values.items() if k in schema.model_fields and v not in ("", None)
    }
    try:
        return schema.model_validate(given), {}
    except ValidationError as error:
        messages: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "form"
            messages.setdefault(field, str(item["msg"]).removeprefix("Value error, "))
        return None, messages


def echo(fields: Mapping[str, str]) -> dict[str, str]:
    """What the user typed, cut short, to fill a refused form again (Jinja escapes it)."""
    return {k: v[:MAX_SHOWN_VALUE] for k, v in fields.items() if k != "csrf_token"}


def as_utc(value: str) -> str:
    """A datetime-local field ("2026-11-27T10:00") read as UTC, as every page says it is;
    anything else is passed on for the schema to judge."""
    if value and len(value) <= 19 and "T" in value and not value.endswith("Z"):
        return value + "+00:00"
    return value
