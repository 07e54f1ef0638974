"""The guide's webhook receiver (a FastAPI `app` built from QUADRA_WEBHOOK_SECRET) served for
real: Quadra delivers an order's `order.completed` to it, and a forged delivery is answered.

`before()` registers the endpoint (a free local port) and exports its secret, as a partner
would deploy it; `after(namespace)` serves the block's `app` with uvicorn, pays one order, waits
for the block's handler to have processed a delivery and posts one delivery with a wrong
signature, printing its status for the test to check."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from quadra_client import Quadra

DELIVERY_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Harness:
    port: int

    @classmethod
    def before(cls) -> Harness:
        port = _free_port()
        with Quadra.from_env() as quadra:
            endpoint = quadra.set_webhook_endpoint(f"http://localhost:{port}/quadra-hooks", ["order.completed"])
        os.environ["QUADRA_WEBHOOK_SECRET"] = endpoint.secret
        return cls(port)

    def after(self, namespace: dict[str, Any]) -> None:
        server = uvicorn.Server(uvicorn.Config(namespace["app"], host="127.0.0.1", port=self.port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            self._wait(lambda: server.started, "the receiver to start")
            with Quadra.from_env() as quadra:
                order = quadra.create_order({
                    "product_id": "topup-de", "amount": {"value": 700, "currency": "EUR"},
                    "recipient": {"phone": "+4915112345678"}, "end_user": {"id": f"guide-{uuid.uuid4().hex[:8]}"},
                }, wait=10)  # fmt: skip
                print("harness: order", order.id, order.status, flush=True)
                self._wait(lambda: bool(namespace["processed"]), "a delivery to be processed")
                forged = httpx.post(
                    f"http://127.0.0.1:{self.port}/quadra-hooks",
                    content=b'{"type":"order.completed","data":{"id":"ord_forged"}}',
                    headers={"webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())),
                             "webhook-signature": "v1,c2lnbmVkIGJ5IG5vYm9keQ=="},  # fmt: skip
                )
                print("harness: forged delivery:", forged.status_code, flush=True)
                quadra.delete_webhook_endpoint()
        finally:
            server.should_exit = True
            thread.join(10)

    @staticmethod
    def _wait(condition: Any, what: str) -> None:
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"harness: timed out waiting for {what}")
            time.sleep(0.05)
