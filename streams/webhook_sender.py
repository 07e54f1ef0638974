"""One webhook attempt over HTTP: sign, POST, report what happened (never raises for the
partner's faults: a refused connection is as much an outcome as a 503)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from domain.webhooks import AttemptResult, WebhookEndpoint, WebhookMessage, signed_headers
from streams.webhook_destinations import Destination, Refused, pinned_request

USER_AGENT = "Quadra-Webhooks/1"
# url → the checked address to connect to, or why not (streams/webhook_destinations.py, live mode).
DestinationCheck = Callable[[str], Awaitable[Destination]]


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
        destination = None if self._destinations is None else await self._destinations(endpoint.url)
        if isinstance(destination, Refused):  # a failed attempt: retried, so a fixed DNS record still gets it
            return AttemptResult(at, endpoint.url, 0, 0, destination.reason)
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
        url: str | httpx.URL = endpoint.url
        extensions: dict[str, str] = {}
        started = time.monotonic()
        try:
            if destination is not None:  # connect to the checked address: no second DNS lookup
                pinned = pinned_request(endpoint.url, destination.address)
                url, extensions, headers["host"] = pinned.url, pinned.extensions, pinned.host_header
                if extensions:  # TLS: the pool is keyed by address, so a connection verified for
                    headers["connection"] = "close"  # another name on it must not carry this one
            request = self._client.build_request(
                "POST", url, content=body.encode(), headers=headers, extensions=extensions
            )
            response = await self._client.send(request, follow_redirects=False)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # never raises for the partner's faults
            return AttemptResult(at, endpoint.url, 0, _ms(started), f"{type(exc).__name__}: {str(exc)[:200]}")
        return AttemptResult(at, endpoint.url, response.status_code, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
