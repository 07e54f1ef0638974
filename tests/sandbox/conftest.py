"""A fresh sandbox app per test, reached in-process over ASGI (no real ports)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox import SandboxConfig, create_sandbox_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_sandbox_app(SandboxConfig(bank_completion_delay_ms=50))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c
