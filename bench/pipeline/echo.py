"""The HTTP baseline: a bare FastAPI POST endpoint served like the API (`python -m bench.pipeline.echo PORT`).

Same path, same uvicorn settings as `quadra up`'s API (quadra/runtime.py: one process, the
default event loop and HTTP parser, log_level warning, no access log, lifespan off). The
endpoint parses the JSON body and answers it back with 201: what FastAPI, uvicorn and the
client cost per request when the pipeline behind them costs nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


def echo_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/orders", status_code=201)
    async def echo(request: Request) -> Any:
        return await request.json()

    return app


def main(argv: list[str]) -> None:
    port = int(argv[0])
    uvicorn.run(
        echo_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        access_log=False,
    )  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
