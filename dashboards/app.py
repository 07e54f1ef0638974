"""The back office at /admin, added to the API application by the composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api import errors
from dashboards import pages
from dashboards.company_audit import CompanyAuditFeed
from dashboards.render import render, started
from dashboards.vendor import DEFAULT_DIR
from dashboards.web import SignInRequired, login_redirect

PREFIX = "/admin"
STATIC = Path(__file__).with_name("static")


def _problem_page(request: Request, problem: errors.Problem) -> Response:
    if problem.status == 401:
        return RedirectResponse(login_redirect(request.url.path), status_code=303)
    response = render(request, "error.html", {"problem": problem}, status=problem.status)
    response.headers.update(problem.headers)
    return response


def install_admin(
    app: FastAPI, vendor_dir: Path = DEFAULT_DIR, company_audit: CompanyAuditFeed | None = None
) -> None:
    """Adds the pages, their static files and HTML error pages under /admin. Without
    `company_audit` the company page says its audit events are not available here."""
    app.state.company_audit = company_audit
    for router in pages.routers():
        app.include_router(router, prefix=PREFIX, dependencies=[Depends(started)])
    app.mount(PREFIX + "/static/vendor", StaticFiles(directory=vendor_dir, check_dir=False), "vendor")
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), "static")
    app.state.problem_renderers[PREFIX] = _problem_page

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(login_redirect(exc.next_path), status_code=303)
