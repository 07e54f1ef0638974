"""What a partner may register as its webhook endpoint: the URL rules and the signing secret.

The endpoint itself (`domain.webhooks.WebhookEndpoint`) is held by the company registry; the
secret is generated here, sealed by the API's vault and never stored in clear.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
from typing import Protocol
from urllib.parse import urlsplit

from domain.errors import InvalidCommand
from domain.webhooks import WebhookEndpoint, WebhookEventType

MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # no controls, spaces or backslashes: parsers disagree
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$")


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SecretOpener(Protocol):
    def reveal(self, ciphertext: str) -> str: ...


def open_webhook_secret(vault: SecretOpener, endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret in clear ("whsec_…"), to sign a delivery with. Pass the
    card vault (`domain.cards.CardVault`) built from the same keys as the API's."""
    return vault.reveal(endpoint.secret_ciphertext)


def check_webhook_url(url: str, allow_http: bool) -> str:
    """The URL if a partner may register it; raises InvalidCommand saying why not.

    https only, except plain http for sandbox keys (local testing). Live endpoints must name a
    public host: a literal loopback or private address would point our deliveries inward."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidCommand(f"url must be 1-{MAX_URL_LENGTH} characters", "/url")
    if _UNSAFE.search(url):
        raise InvalidCommand("url must not contain spaces, control characters or backslashes", "/url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise InvalidCommand("url is not a valid URL", "/url") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        also = " or http://" if allow_http else ""
        raise InvalidCommand(f"url must start with https://{also}", "/url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidCommand("url must not carry credentials: authenticate with the signature", "/url")
    host = parts.hostname or ""
    if not host or not _HOST.match(parts.netloc.rsplit(":", 1)[0] if port else parts.netloc):
        raise InvalidCommand("url must name a host", "/url")
    if not _host_shape_ok(host):
        raise InvalidCommand("url must name a host: DNS labels of letters, digits and '-', or an IP address", "/url")
    if parts.fragment:
        raise InvalidCommand("url must not have a #fragment", "/url")
    if not allow_http and _internal(host):
        raise InvalidCommand("url must name a public host, not a loopback or private address", "/url")
    return url


def check_event_types(event_types: tuple[WebhookEventType, ...]) -> tuple[WebhookEventType, ...]:
    """Each type once, in the order of WebhookEventType; at least one."""
    if not event_types:
        raise InvalidCommand("event_types must name at least one event type", "/event_types")
    return tuple(t for t in WebhookEventType if t in event_types)


_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?$")


def _host_shape_ok(host: str) -> bool:
    """A literal IP address, or a DNS name: labels of 1-63 letters, digits and inner hyphens
    whose last label is not a number. "127.1", "0x7f000001" or "2130706433" are not names but
    loopback addresses in disguise (resolvers read them as IPv4): refused like the literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    last = labels[-1].lower()
    return not (last.isdigit() or (last.startswith("0x") and all(c in "0123456789abcdef" for c in last[2:])))


def public_address(text: str) -> bool:
    """A literal IP address that is globally routable ("[::1]" and an IPv6 "%zone" allowed);
    False for anything else, names included. The one rule for where webhooks may go: checked on
    the URL's literal host here and on every resolved address when delivering in live mode."""
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0]).is_global
    except ValueError:
        return False


def _internal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # a name: checked when delivering, in live mode (streams/webhook_destinations.py)
    return not public_address(host)
