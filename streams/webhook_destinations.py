"""Where a webhook may be delivered in live mode: public addresses only, checked after DNS.

Registration already refuses URLs of live keys that name a loopback or private address
literally (domain/webhook_endpoints.py). But a public-looking name can resolve inward (an
internal zone, "127.0.0.1.nip.io", a record the partner changes later), and sandbox keys may
register local URLs for testing. So in live mode every attempt first resolves the host and is
refused, as a failed attempt that is retried later, when any address is not public: a partner
cannot make the notify agent POST into our own network. Not covered: a name that changes
between this lookup and the connection (DNS rebinding) would need the connection pinned to the
checked address.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from domain.webhook_endpoints import public_address

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (a literal address: itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PublicDestinations:
    """`refusal(url)`: None when every address of the URL's host is public, else why not.
    The reason never names the address found: it is stored with the attempt."""

    def __init__(self, resolve: Resolve = resolve_host) -> None:
        self._resolve = resolve

    async def refusal(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "refused: not a valid URL"
        if not host:
            return "refused: the URL names no host"
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError):
            return f"refused: {host} does not resolve"
        if not addresses or not all(public_address(a) for a in addresses):
            return f"refused: {host} resolves to a non-public address"
        return None
