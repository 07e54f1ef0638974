"""Fakes for the client's unit tests: a scripted partner API behind `httpx.MockTransport` and a
clock that sleeps without taking time."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

Answer = httpx.Response | httpx.TransportError | Callable[[httpx.Request], httpx.Response]
TEST_KEY = "qk_test_" + "A" * 43
BASE_URL = "https://api.quadra.test"


def problem(status: int, slug: str, detail: str = "", **extra: object) -> httpx.Response:
    body = {"type": f"https://docs.quadra.dev/problems/{slug}", "title": slug.replace("-", " "),
            "status": status, "detail": detail or slug, "instance": "/v1/x", "request_id": "req-1", **extra}  # fmt: skip
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"Content-Type": "application/problem+json"})  # fmt: skip


def ok(body: object, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class ScriptedApi:
    """Answers each request with the next scripted answer (the last one repeats) and records
    every request it saw; an exception answer is raised as the transport's failure."""

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, httpx.TransportError):
            raise type(answer)(str(answer), request=request)
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        """Serves both `Quadra` and `AsyncQuadra`."""
        return httpx.MockTransport(self.handle)

    def header(self, name: str) -> list[str | None]:
        return [r.headers.get(name) for r in self.requests]


@dataclass
class FakeClock:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def by_route(table: dict[tuple[str, str], httpx.Response | Callable[[httpx.Request], httpx.Response]]) -> Callable[[httpx.Request], httpx.Response]:
    """An answer that picks by (method, path); unrouted requests get a 404 problem."""

    def answer(request: httpx.Request) -> httpx.Response:
        found = table.get((request.method, request.url.path))
        if found is None:
            return problem(404, "not-found", f"No route {request.url.path}")
        return found if isinstance(found, httpx.Response) else found(request)

    return answer
