"""One module per back-office area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from dashboards.pages import home, request_log, session, transactions

    return [session.router, home.router, transactions.router, request_log.router]
