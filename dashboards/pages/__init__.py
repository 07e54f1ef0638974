"""One module per back-office area; each exposes `router`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from dashboards.pages import (
        account,
        audit,
        batches,
        companies,
        company_balance,
        company_catalog,
        company_keys,
        home,
        orders,
        request_log,
        risk_dashboard,
        risk_lists,
        risk_model,
        risk_reviews,
        risk_rules,
        risk_rulesets,
        session,
        transactions,
        users,
    )

    return [
        m.router
        for m in (
            session, home, account, users, audit,
            companies, company_keys, company_catalog, company_balance,
            transactions, batches, request_log, orders,
            risk_dashboard, risk_reviews, risk_lists, risk_rulesets, risk_rules, risk_model,
        )
    ]  # fmt: skip
