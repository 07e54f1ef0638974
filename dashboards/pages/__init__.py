"""One module per back-office area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from dashboards.pages import home, session
    from dashboards.pages import risk_lists, risk_reviews, risk_rules, risk_rulesets

    return [session.router, home.router, risk_reviews.router, risk_lists.router, risk_rulesets.router, risk_rules.router]
