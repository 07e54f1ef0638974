"""One FastAPI app per harness for the whole session, served to each test with that test's fakes.

Why: FastAPI (0.165) works out every route of a new app on its first request, about 0.15 s for
our ~110 routes, and some 2,100 API and back-office tests each built an app: about five minutes
of every `make test`. The routes hold no state; what a test can see or change is app.state
(services, rate limits, company audit feed: restored to the built state, then given the test's
own) and the two objects the edge middleware keeps from its construction, the request-log sink
and the audit trail, which here are forwarders to the test's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI

from api.deps import ApiServices
from api.rate_limit import EdgeRateLimits


class Forward:
    """Stands for the current test's object: every attribute is looked up on it."""

    def __init__(self) -> None:
        self.target: object | None = None

    def __getattr__(self, name: str) -> Any:
        if self.target is None:
            raise AttributeError(f"no test is being served ({name})")
        return getattr(self.target, name)


@dataclass(frozen=True)
class SharedApp:
    app: FastAPI
    sink: Forward
    audit: Forward
    built_state: dict[str, Any]

    @classmethod
    def build(cls, create: Callable[[ApiServices, Any], FastAPI], services: ApiServices) -> SharedApp:
        """`create(services, request_log_sink)` makes the app, as the harness would for itself."""
        sink, audit = Forward(), Forward()
        app = create(replace(services, audit=audit), sink)  # type: ignore[arg-type]
        return cls(app, sink, audit, dict(app.state._state))

    def serve(self, services: ApiServices, request_log: object) -> FastAPI:
        """The app, as if built now with these services and this request-log sink."""
        state = self.app.state._state
        state.clear()
        state.update(self.built_state)
        self.app.state.services = services
        self.app.state.rate_limits = EdgeRateLimits()
        self.app.dependency_overrides.clear()
        self.sink.target, self.audit.target = request_log, services.audit
        return self.app
