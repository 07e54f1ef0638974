"""A real partner endpoint for webhook tests: a Starlette app served by uvicorn on a free
port, recording every request; each path can be told to fail (503) or to be slow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float  # monotonic

    @property
    def payload(self) -> dict:  # type: ignore[type-arg]
        return orjson.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)  # path → status to answer (default 200)

    def ok(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path and r.status == 200]

    def tried(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 30.0, ok: bool = True) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(got := (self.ok(path) if ok else self.tried(path))) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: {len(got)} of {count} requests in {timeout}s")
            await asyncio.sleep(0.05)
        return got

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        status = self.status.get(path, 200)
        body = await request.body()
        self.received.append(Received(path, dict(request.headers), body, status, time.monotonic()))
        return Response(status_code=status)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own signals
        return None


@asynccontextmanager
async def serving_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{name}", receiver._handle, methods=["POST"])])
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                    lifespan="off", access_log=False))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the receiver did not start"
        await asyncio.sleep(0.02)
    receiver.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


async def register_endpoint(client: httpx.AsyncClient, receiver: Receiver) -> dict[str, Any]:
    """Points the client's company at the receiver for completed and failed orders; the answer
    (with the signing secret). `localhost`, not 127.0.0.1: sandbox keys may use local names."""
    body = {"url": f"{receiver.url.replace('127.0.0.1', 'localhost')}/hooks",
            "event_types": ["order.completed", "order.failed"]}  # fmt: skip
    for _ in range(5):  # a 503 command-timeout on a loaded machine: a partner retries the PUT
        endpoint = await client.put("/v1/webhook-endpoint", json=body)
        if endpoint.status_code != 503:
            break
        await asyncio.sleep(1.0)
    assert endpoint.status_code in (200, 201), endpoint.text
    return dict(endpoint.json())
