"""All staff routes under /staff/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.staff import list_routes, rule_routes

from api.staff import (
    account_routes,
    audit_routes,
    batch_routes,
    balance_routes,
    catalog_routes,
    company_routes,
    export_routes,
    fraud_routes,
    model_routes,
    order_routes,
    report_routes,
    risk_dashboard_routes,
    session_routes,
    user_routes,
    webhook_routes,
)

router = APIRouter(prefix="/staff/v1")
router.include_router(session_routes.router)
router.include_router(account_routes.router)
router.include_router(audit_routes.router)
router.include_router(company_routes.router)
router.include_router(user_routes.router)
router.include_router(balance_routes.router)
router.include_router(catalog_routes.router)
router.include_router(rule_routes.router)
router.include_router(list_routes.router)
router.include_router(webhook_routes.router)
router.include_router(export_routes.router)
router.include_router(report_routes.router)
router.include_router(fraud_routes.router)
router.include_router(order_routes.router)
router.include_router(model_routes.router)
router.include_router(risk_dashboard_routes.router)
router.include_router(batch_routes.router)
