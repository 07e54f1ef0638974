"""Where a webhook may be delivered in live mode: public addresses only, checked after DNS,
and the connection pinned to the address that was checked.

Registration already refuses URLs of live keys that name a loopback or private address
literally (domain/webhook_endpoints.py). But a public-looking name can resolve inward (an
internal zone, "127.0.0.1.nip.io", a record the partner changes later), and sandbox keys may
register local URLs for testing. So in live mode every attempt first resolves the host and is
refused, as a failed attempt that is retried later, when any address is not public: a partner
cannot make the notify agent POST into our own network. The attempt then connects to the
checked address itself (the name goes only in the Host header and the TLS server name, so the
certificate is still checked against it): a name that answers a public address to the check
and a private one to a second lookup (DNS rebinding) gets no second lookup.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from domain.webhook_endpoints import public_address

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (a literal address: itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class Refused:
    """The attempt may not be made; `reason` never names the address found (it is stored)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Pinned:
    """The attempt goes to `address`, which was checked, whatever the name resolves to later."""

    address: str


Destination = Refused | Pinned


class PublicDestinations:
    """`check(url)`: Pinned(an address of the URL's host) when every address is public, else
    Refused(why not)."""

    def __init__(self, resolve: Resolve = resolve_host, allowed: Callable[[str], bool] = public_address) -> None:
        self._resolve = resolve
        self._allowed = allowed  # tests may widen it to reach a server on this machine

    async def check(self, url: str) -> Destination:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return Refused("refused: not a valid URL")
        if not host:
            return Refused("refused: the URL names no host")
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError):
            return Refused(f"refused: {host} does not resolve")
        if not addresses or not all(self._allowed(a) for a in addresses):
            return Refused(f"refused: {host} resolves to a non-public address")
        return Pinned(addresses[0])


@dataclass(frozen=True, slots=True)
class PinnedRequest:
    url: httpx.URL  # the endpoint's URL with the checked address for its host
    host_header: str  # the name (and port) the partner's server expects
    extensions: dict[str, str]  # sni_hostname: TLS names the host and checks its certificate


def pinned_request(url: str, address: str) -> PinnedRequest:
    original = httpx.URL(url)
    extensions = {"sni_hostname": original.host} if original.scheme == "https" else {}
    return PinnedRequest(original.copy_with(host=address), original.netloc.decode("ascii"), extensions)
