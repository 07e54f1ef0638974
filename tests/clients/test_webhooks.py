"""`verify_webhook` accepts exactly what the reference `standardwebhooks` package signs, and
refuses tampered bodies, stale or future timestamps, wrong secrets and malformed headers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest
from quadra_client import WebhookVerificationError, verify_webhook
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
SENT_AT = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
NOW = SENT_AT.timestamp()
BODY = json.dumps({"type": "order.completed", "data": {"id": "ord_1", "amount": {"value": 1500}}})


def signed(body: str = BODY, secret: str = SECRET, msg_id: str = "msg_1", at: datetime = SENT_AT) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
    }


def test_a_delivery_signed_by_the_reference_implementation_verifies() -> None:
    payload = verify_webhook(SECRET, signed(), BODY.encode(), now=NOW)
    assert payload == json.loads(BODY)


def test_body_may_be_text_and_headers_any_case() -> None:
    headers = httpx.Headers({k.title(): v for k, v in signed().items()})
    assert verify_webhook(SECRET, headers, BODY, now=NOW)["type"] == "order.completed"


def test_one_matching_signature_among_several_is_enough() -> None:
    headers = signed()
    old = signed(secret=OTHER_SECRET)["webhook-signature"]
    headers["webhook-signature"] = f"v2,abc {old} garbage v1 {headers['webhook-signature']}"
    assert verify_webhook(SECRET, headers, BODY, now=NOW)


def test_the_secret_without_prefix_or_padding_works_too() -> None:
    bare = SECRET.removeprefix("whsec_").rstrip("=")
    assert verify_webhook(bare, signed(), BODY, now=NOW)


@pytest.mark.parametrize(
    "body",
    [BODY.replace("1500", "9999"), BODY + " ", BODY[:-1], ""],
    ids=["amount-changed", "trailing-space", "truncated", "empty"],
)
def test_a_tampered_body_is_refused(body: str) -> None:
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(SECRET, signed(), body, now=NOW)


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(OTHER_SECRET, signed(), BODY, now=NOW)


@pytest.mark.parametrize(("offset", "why"), [(-301, "too old"), (301, "future")])
def test_timestamps_beyond_five_minutes_are_refused(offset: int, why: str) -> None:
    with pytest.raises(WebhookVerificationError, match=why):
        verify_webhook(SECRET, signed(), BODY, now=NOW - offset)


def test_timestamps_within_five_minutes_are_accepted() -> None:
    for offset in (-300, 300):
        assert verify_webhook(SECRET, signed(), BODY, now=NOW - offset)


def test_a_timestamp_changed_after_signing_is_refused() -> None:
    headers = signed()
    headers["webhook-timestamp"] = str(int(NOW) + 1)
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = signed()
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        verify_webhook(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize("timestamp", ["1.5e9", "-1", "abc", "9" * 40, "١٧٦٤"])
def test_a_malformed_timestamp_is_refused(timestamp: str) -> None:
    headers = signed()
    headers["webhook-timestamp"] = timestamp
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize("signature", ["v1", "v1,", ",", "v1,!!!not-base64", "v1,ä", "v1," + "A" * 10_000])
def test_a_malformed_signature_is_refused_without_crashing(signature: str) -> None:
    headers = signed()
    headers["webhook-signature"] = signature
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize("body", ["[1, 2]", "not json"])
def test_a_signed_body_that_is_not_a_json_object_is_refused(body: str) -> None:
    with pytest.raises(WebhookVerificationError, match="JSON"):
        verify_webhook(SECRET, signed(body=body), body, now=NOW)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_!!!", "whsec_abc$"])
def test_a_malformed_secret_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_webhook(secret, signed(), BODY, now=NOW)


def test_the_clock_defaults_to_now() -> None:
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(SECRET, signed(at=datetime(2001, 1, 1, tzinfo=UTC)), BODY)
    fresh = datetime.now(UTC)
    assert verify_webhook(SECRET, signed(at=fresh), BODY)
