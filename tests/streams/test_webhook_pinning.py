"""DNS rebinding: a live delivery connects to the address that passed the public-address check,
with the name only in the Host header and the TLS server name (so the certificate is still
checked against the name), and a TLS connection is not reused for another name."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


def _self_signed(name: str) -> tuple[bytes, bytes]:
    """A certificate for `name` (its own CA) and its key, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.mark.parametrize(("certified", "delivered"), [("hooks.partner.test", True), ("someone.else.test", False)])
async def test_tls_to_the_checked_address_still_verifies_the_name(
    certified: str, delivered: bool, tmp_path: Path
) -> None:
    """Real TLS on 127.0.0.1: the certificate must name the endpoint's host, even though the
    connection goes to the address (a certificate for another name is refused)."""
    cert_pem, key_pem = _self_signed(certified)
    folder = tmp_path
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client_tls = ssl.create_default_context(cadata=cert_pem.decode())

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client refused our certificate
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    destinations = PublicDestinations(resolve, allowed=lambda address: address == "127.0.0.1")
    try:
        async with httpx.AsyncClient(timeout=5, verify=client_tls) as client:
            sender = WebhookSender(client, VAULT.reveal, destinations=destinations.check)
            result = await sender.attempt(MESSAGE, _endpoint(f"https://hooks.partner.test:{port}/hook"))
    finally:
        server.close()
        await server.wait_closed()
    assert result.succeeded is delivered, result.error
    if not delivered:
        assert "CERTIFICATE_VERIFY_FAILED" in result.error or "certificate" in result.error.lower()


async def test_a_url_the_client_cannot_build_is_a_failed_attempt_not_a_crash() -> None:
    """The check's parser and httpx's disagree on a few hostile URLs (a NUL in the host): the
    attempt fails like any network error instead of raising into the notify agent."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    sender = WebhookSender(client, VAULT.reveal, destinations=PublicDestinations(resolve).check)
    result = await sender.attempt(MESSAGE, _endpoint("https://a_b\x00.test/q"))
    assert not result.succeeded and result.error.startswith("InvalidURL")
