"""In live mode a webhook is delivered only to public addresses, checked after DNS; a refusal is
a failed attempt (retried later) that sends nothing and does not name the address it found."""

from __future__ import annotations

import base64

import httpx
import pytest

from domain.cards import CardVault
from domain.webhook_endpoints import new_webhook_secret
from domain.webhooks import WebhookEndpoint, WebhookEventType, WebhookMessage
from quadra.notify_roles import webhook_sender
from quadra.settings import Settings
from streams.webhook_destinations import Pinned, PublicDestinations, Refused
from streams.webhook_sender import WebhookSender
from tests.builders import T0

VAULT = CardVault({"k1": b"k" * 32}, b"token-key")
REAL_SECRETS = {
    "environment": "live", "card_keys": "k9:" + base64.b64encode(b"r" * 32).decode(),
    "card_token_key": "t" * 32, "session_secret": "s" * 32, "providers_token": "real-provider-token",
}  # fmt: skip
MESSAGE = WebhookMessage("msg_1", "cmp_a", WebhookEventType.ORDER_COMPLETED, T0, '{"type":"order.completed"}', "l", 0)


def _resolving(table: dict[str, list[str]]) -> PublicDestinations:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]

    return PublicDestinations(resolve)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://hooks.partner.test/q", False),  # 93.184.216.34
        ("https://both.partner.test/q", True),  # one public, one private address: refused
        ("https://inward.partner.test/q", True),  # 10.0.0.5: an internal host behind a public name
        ("https://metadata.partner.test/q", True),  # 169.254.169.254
        ("https://v6-loopback.partner.test/q", True),  # ::1
        ("https://v6-zone.partner.test/q", True),  # fe80::1%eth0
        ("https://unknown.partner.test/q", True),  # does not resolve
        ("https://empty.partner.test/q", True),  # resolves to nothing
        ("https:///no-host", True),
    ],
)
async def test_only_public_addresses_pass(url: str, refused: bool) -> None:
    destinations = _resolving({
        "hooks.partner.test": ["93.184.216.34"], "both.partner.test": ["93.184.216.34", "192.168.1.9"],
        "inward.partner.test": ["10.0.0.5"], "metadata.partner.test": ["169.254.169.254"],
        "v6-loopback.partner.test": ["::1"], "v6-zone.partner.test": ["fe80::1%eth0"], "empty.partner.test": [],
    })  # fmt: skip
    checked = await destinations.check(url)
    assert isinstance(checked, Refused) == refused, checked
    if isinstance(checked, Refused):
        assert checked.reason.startswith("refused: ")
        assert not any(a in checked.reason for a in ("10.0.0.5", "192.168", "169.254", "::1", "fe80"))
    else:
        assert checked == Pinned("93.184.216.34")


async def test_literal_and_local_names_are_refused_by_the_system_resolver() -> None:
    destinations = PublicDestinations()  # the real resolver; these need no network
    for url in ("https://127.0.0.1/q", "https://[::1]:8443/q", "http://localhost:3000/hooks"):
        assert isinstance(await destinations.check(url), Refused), url


def _endpoint(url: str) -> WebhookEndpoint:
    return WebhookEndpoint(url, tuple(WebhookEventType), VAULT.seal(new_webhook_secret()), T0)


def _recording() -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer)), sent


async def test_a_refused_destination_is_a_failed_attempt_that_sends_nothing() -> None:
    client, sent = _recording()
    destinations = _resolving({"inward.partner.test": ["10.0.0.5"], "hooks.partner.test": ["93.184.216.34"]})
    sender = WebhookSender(client, VAULT.reveal, destinations=destinations.check)

    refused = await sender.attempt(MESSAGE, _endpoint("https://inward.partner.test/q"))
    assert (refused.response_status, refused.succeeded, sent) == (0, False, [])
    assert "non-public" in refused.error

    delivered = await sender.attempt(MESSAGE, _endpoint("https://hooks.partner.test/q"))
    assert delivered.succeeded and [str(r.url) for r in sent] == ["https://93.184.216.34/q"]
    assert delivered.url == "https://hooks.partner.test/q"  # the attempt names the endpoint, not the address


@pytest.mark.parametrize(("environment", "delivered"), [("live", False), ("local", True)])
async def test_live_workers_check_destinations_local_ones_deliver_to_this_machine(
    environment: str, delivered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ENVIRONMENT", "CARD_KEYS", "CARD_TOKEN_KEY", "SESSION_SECRET", "PROVIDERS_TOKEN", "PAYOUTS"):
        monkeypatch.delenv(f"QUADRA_{name}", raising=False)
    settings = Settings(_env_file=None, **{**REAL_SECRETS, "environment": environment})  # type: ignore[call-arg]
    client, sent = _recording()
    result = await webhook_sender(settings, client, VAULT).attempt(MESSAGE, _endpoint("http://localhost:3000/hooks"))
    assert result.succeeded is delivered and len(sent) == int(delivered)
