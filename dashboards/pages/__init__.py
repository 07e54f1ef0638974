"""One module per back-office area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from dashboards.pages import (
        companies,
        company_balance,
        company_catalog,
        company_keys,
        home,
        session,
    )

    return [
        session.router, home.router,
        companies.router, company_keys.router, company_catalog.router, company_balance.router,
    ]  # fmt: skip
