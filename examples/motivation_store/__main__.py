"""`python -m examples.motivation_store` — serves the store on http://127.0.0.1:$STORE_PORT
(default 8080) against QUADRA_API_URL with QUADRA_API_KEY."""

from __future__ import annotations

import os

import uvicorn

from examples.motivation_store.app import create_app
from quadra_client import AsyncQuadra


def main() -> None:
    uvicorn.run(create_app(AsyncQuadra.from_env()), host="127.0.0.1", port=int(os.environ.get("STORE_PORT", "8080")))


if __name__ == "__main__":
    main()
