from __future__ import annotations

import base64

import pytest

from domain.cards import CardVault
from domain.errors import InvalidCommand
from domain.webhook_endpoints import (
    check_event_types,
    check_webhook_url,
    new_webhook_secret,
    open_webhook_secret,
)
from domain.webhooks import WebhookEndpoint, WebhookEventType
from tests.builders import T0


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://hooks.acme.test/quadra?x=1", False, True),
        ("https://hooks.acme.test:8443/q", False, True),
        ("http://hooks.acme.test/q", True, True),
        ("http://localhost:3000/hooks", True, True),  # sandbox keys: local testing
        ("http://hooks.acme.test/q", False, False),
        ("https://localhost/q", False, False),
        ("https://127.0.0.1/q", False, False),
        ("https://10.1.2.3/q", False, False),
        ("https://[::1]/q", False, False),
        ("https://169.254.169.254/latest/meta-data", False, False),
        ("https://8.8.8.8/q", False, True),
        ("https://user:pass@hooks.acme.test/q", True, False),
        ("https://token@hooks.acme.test/q", True, False),
        ("ftp://hooks.acme.test/q", True, False),
        ("javascript:alert(1)", True, False),
        ("https:///nohost", True, False),
        ("https://hooks.acme.test/q#frag", True, False),
        ("https://hooks.acme.test:99999/q", True, False),
        ("https://hooks acme.test/q", True, False),
        ("https://hooks.acme.test/\x00", True, False),
        ("https://hooks.acme.test\\@evil.test/", True, False),
        ("https://a.test/" + "p" * 2048, True, False),
        ("", True, False),
        # loopback in disguise: resolvers read these as IPv4 addresses
        ("https://127.1/q", False, False),
        ("https://0x7f000001/q", False, False),
        ("https://2130706433/q", False, False),
        ("https://10.1/q", True, False),
        # not DNS names
        ("https://hooks..acme.test/q", True, False),
        ("https://-hooks.acme.test/q", True, False),
        ("https://hooks-.acme.test/q", True, False),
        ("https://" + "a" * 64 + ".test/q", True, False),
        ("https://hooks.acme.test./q", False, True),  # a fully qualified name
        ("https://0xcafe.example/q", False, True),  # only a numeric last label is an address
        ("https://[2001:4860:4860::8888]/q", False, True),
    ],
)  # fmt: skip
def test_webhook_urls(url: str, allow_http: bool, ok: bool) -> None:
    if ok:
        assert check_webhook_url(url, allow_http) == url
    else:
        with pytest.raises(InvalidCommand):
            check_webhook_url(url, allow_http)


def test_event_types_are_each_kept_once_in_a_fixed_order() -> None:
    given = (WebhookEventType.FRAUD_SUSPECTED, WebhookEventType.ORDER_FAILED, WebhookEventType.ORDER_FAILED)
    assert check_event_types(given) == (WebhookEventType.ORDER_FAILED, WebhookEventType.FRAUD_SUSPECTED)
    with pytest.raises(InvalidCommand):
        check_event_types(())


def test_a_secret_is_standard_webhooks_shaped_sealed_and_opened_by_the_vault() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert new_webhook_secret() != secret
    vault = CardVault({"k1": b"k" * 32}, b"t")
    endpoint = WebhookEndpoint("https://a.test", tuple(WebhookEventType), vault.seal(secret), T0)
    assert secret not in endpoint.secret_ciphertext
    assert open_webhook_secret(vault, endpoint) == secret
