"""One webhook attempt over HTTP: sign, POST, report what happened (never raises for the
partner's faults: a refused connection is as much an outcome as a 503)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from domain.webhooks import AttemptResult, WebhookEndpoint, WebhookMessage, signed_headers

USER_AGENT = "Quadra-Webhooks/1"
# url → None when it may be called, else why not (streams/webhook_destinations.py, live mode).
DestinationCheck = Callable[[str], Awaitable[str | None]]


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,  # the caller owns it: timeouts, transport, pool limits
        reveal: Callable[[str], str],  # the vault: sealed `whsec_…` → the secret
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        destinations: DestinationCheck | None = None,  # None: any address (local mode, tests)
    ) -> None:
        self._client = client
        self._reveal = reveal
        self._clock = clock
        self._destinations = destinations

    async def attempt(self, message: WebhookMessage, endpoint: WebhookEndpoint | None) -> AttemptResult:
        at = self._clock()
        if endpoint is None or not endpoint.wants(message.event_type):
            # Removed, disabled or unsubscribed while the message waited: counts as a failed
            # attempt, so the partner can still get it by restoring the endpoint in time.
            return AttemptResult(at, endpoint.url if endpoint else "", 0, 0, "no endpoint wants this event")
        if self._destinations is not None:
            refusal = await self._destinations(endpoint.url)
            if refusal is not None:  # a failed attempt: retried, so a fixed DNS record still gets it
                return AttemptResult(at, endpoint.url, 0, 0, refusal)
        try:
            secret = self._reveal(endpoint.secret_ciphertext)
            body = message.body_to_send(self._reveal)
        except Exception:  # sealed under a key this process does not hold
            return AttemptResult(at, endpoint.url, 0, 0, "signing secret or delivery cannot be opened")
        headers = {
            **signed_headers(secret, message.id, at, body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        started = time.monotonic()
        try:
            response = await self._client.post(
                endpoint.url, content=body.encode(), headers=headers, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            return AttemptResult(at, endpoint.url, 0, _ms(started), f"{type(exc).__name__}: {str(exc)[:200]}")
        return AttemptResult(at, endpoint.url, response.status_code, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
