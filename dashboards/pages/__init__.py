"""One module per back-office area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from dashboards.pages import home, session, users

    return [session.router, home.router, users.router]
