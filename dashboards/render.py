"""Pages from Jinja2 templates: autoescaped, strict about missing names, with the headers every
back-office page carries (a strict Content-Security-Policy: no inline script at all)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboards import formats
from dashboards.i18n import Translator, UiLocale
from dashboards.nav import sections_for
from dashboards.web import CSRF_FIELD, Viewer, current_viewer
from domain.staff import Permission

TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["P"] = Permission
    return env


def _helpers(locale: UiLocale) -> dict[str, Any]:
    return {
        "t": Translator(locale),
        "locale": locale.value,
        "money": lambda minor, currency: formats.money(int(minor), str(currency), locale),
        "number": lambda value: formats.number(int(value), locale),
        "when": lambda at, seconds=False: formats.when(at, locale, seconds),
    }


def started(request: Request) -> None:
    """Marks when the page's own work began, for the Server-Timing header."""
    request.state.page_started = time.perf_counter()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    viewer: Viewer | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    viewer = viewer or current_viewer(request)
    locale = viewer.locale if viewer else UiLocale.EN
    values: dict[str, Any] = {
        **_helpers(locale),
        "viewer": viewer,
        "nav": sections_for(viewer) if viewer else [],
        "request_path": request.url.path,
        "now": datetime.now(UTC),
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    began = getattr(request.state, "page_started", None)
    if began is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - began) * 1000:.1f}"
    response.headers.update(headers or {})
    return response
