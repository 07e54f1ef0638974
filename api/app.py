"""The partner API application. Built from ready services: nothing connects here."""

from __future__ import annotations

from fastapi import FastAPI

from api import balances, batches, catalog, fraud_reports, orders, webhook_endpoint
from api.deps import ApiServices
from api.middleware import EdgeMiddleware, RequestLogSink
from api.openapi import install_openapi
from api.order_service import new_request_id
from api.rate_limit import EdgeRateLimits
from api.problems import install_problem_handlers
from api.staff.router import router as staff_router
from domain.audit import AuditTrail


def create_app(
    services: ApiServices,
    request_log: RequestLogSink,
    max_body_bytes: int,
    rate_limits: EdgeRateLimits | None = None,
    max_batch_bytes: int | None = None,
    edge_audit: AuditTrail | None = None,
) -> FastAPI:
    """`rate_limits`: the per-key and failed-authentication buckets (None: the defaults a
    partner gets, 100 requests/s with bursts of 200 per key). `max_batch_bytes`: the body limit
    of POST /v1/batches (None: the general one). `edge_audit`: where the edge records each API
    key's use (None: `services.audit`); the runtime gives it the request log's outbox, so a
    broker outage delays no answer for long."""
    app = FastAPI(
        title="Quadra partner API",
        version="1",
        description=(
            "Pay rewards to your end users: card transfers, virtual cards, gift certificates, "
            "mobile top-ups. Errors are RFC 9457 problem+json; branch on `type`. New fields and "
            "statuses may appear at any time: ignore what you do not know."
        ),
    )
    app.state.services = services
    app.state.rate_limits = rate_limits or EdgeRateLimits()
    install_problem_handlers(app)
    app.include_router(orders.router)
    app.include_router(batches.router)
    app.include_router(balances.router)
    app.include_router(catalog.router)
    app.include_router(webhook_endpoint.router)
    app.include_router(fraud_reports.router)
    app.include_router(staff_router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(
        EdgeMiddleware,
        sink=request_log,
        max_body_bytes=max_body_bytes,
        route_limits={("POST", "/v1/batches"): max_batch_bytes or max_body_bytes},
        new_request_id=new_request_id,
        audit=edge_audit or services.audit,
    )
    install_openapi(app)  # error answers and protocol headers of every operation
    return app
