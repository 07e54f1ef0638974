"""DNS rebinding: a live delivery connects to the address that passed the public-address check,
with the name only in the Host header and the TLS server name (so the certificate is still
checked against the name), and a TLS connection is not reused for another name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from domain.cards import CardVault
from domain.webhook_endpoints import new_webhook_secret
from domain.webhooks import WebhookEndpoint, WebhookEventType, WebhookMessage
from streams.webhook_destinations import PublicDestinations, pinned_request
from streams.webhook_sender import WebhookSender
from tests.builders import T0

VAULT = CardVault({"k1": b"k" * 32}, b"token-key")
MESSAGE = WebhookMessage("msg_1", "cmp_a", WebhookEventType.ORDER_COMPLETED, T0, '{"type":"order.completed"}', "l", 0)


def _endpoint(url: str) -> WebhookEndpoint:
    return WebhookEndpoint(url, tuple(WebhookEventType), VAULT.seal(new_webhook_secret()), T0)


@pytest.mark.parametrize(
    ("url", "address", "pinned_url", "host", "sni"),
    [
        ("https://hooks.partner.test/q?a=1", "93.184.216.34", "https://93.184.216.34/q?a=1", "hooks.partner.test",
         "hooks.partner.test"),
        ("https://hooks.partner.test:8443/q", "2606:2800:220:1::1", "https://[2606:2800:220:1::1]:8443/q",
         "hooks.partner.test:8443", "hooks.partner.test"),
        ("http://hooks.partner.test:8080/q", "93.184.216.34", "http://93.184.216.34:8080/q", "hooks.partner.test:8080",
         None),
    ],
)  # fmt: skip
def test_the_pinned_request_names_the_address_and_keeps_the_name(
    url: str, address: str, pinned_url: str, host: str, sni: str | None
) -> None:
    pinned = pinned_request(url, address)
    assert (str(pinned.url), pinned.host_header, pinned.extensions.get("sni_hostname")) == (pinned_url, host, sni)


async def test_a_name_that_rebinds_after_the_check_is_not_looked_up_again() -> None:
    answers = iter([["93.184.216.34"], ["10.0.0.5"]])  # public to the check, private afterwards

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    sender = WebhookSender(client, VAULT.reveal, destinations=PublicDestinations(rebinding).check)
    result = await sender.attempt(MESSAGE, _endpoint("https://rebind.partner.test/hook"))
    assert result.succeeded and len(sent) == 1
    request = sent[0]
    assert request.url.host == "93.184.216.34"  # the checked address, not a second lookup
    assert request.headers["host"] == "rebind.partner.test"
    assert request.extensions["sni_hostname"] == "rebind.partner.test"
    # Connections are pooled by address: one made for another name's certificate is not reused.
    assert request.headers["connection"] == "close"
    assert result.url == "https://rebind.partner.test/hook"


@pytest.fixture
async def local_receiver() -> AsyncIterator[tuple[int, list[bytes]]]:
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        heads.append(head)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, heads
    finally:
        server.close()
        await server.wait_closed()


async def test_the_connection_goes_to_the_checked_address_without_dns(
    local_receiver: tuple[int, list[bytes]],
) -> None:
    """A real socket: the name has no DNS record at all, so only the pinned address can reach
    the receiver (the check is widened to this machine for the test)."""
    port, heads = local_receiver

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    destinations = PublicDestinations(resolve, allowed=lambda address: address == "127.0.0.1")
    async with httpx.AsyncClient(timeout=5) as client:
        sender = WebhookSender(client, VAULT.reveal, destinations=destinations.check)
        result = await sender.attempt(MESSAGE, _endpoint(f"http://no-such-name.invalid:{port}/hook"))
    assert result.succeeded, result.error
    assert heads and f"host: no-such-name.invalid:{port}".encode() in heads[0].lower()
