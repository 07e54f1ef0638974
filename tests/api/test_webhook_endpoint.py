"""The partner's webhook endpoint: set (secret shown then only), read, rotate, delete; bad input
is a problem+json and changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from domain.companies import Company
from domain.webhook_endpoints import open_webhook_secret
from tests.api.conftest import MAX_BODY, ApiHarness
from tests.api.fakes import LIVE_KEY, OTHER_KEY, TEST_KEY

URL = "/v1/webhook-endpoint"
ALL_TYPES = ["order.completed", "order.failed", "order.declined", "order.in_review", "balance.low",
             "fraud.suspected"]  # fmt: skip


def _company(api: ApiHarness) -> Company:
    company = api.registry.get("cmp_a")
    assert company is not None
    return company


async def test_put_sets_the_endpoint_and_shows_the_secret_once(api: ApiHarness) -> None:
    response = await api.client.put(URL, json={"url": "https://hooks.acme.test/quadra"})

    assert response.status_code == 201, response.text
    body = response.json()
    secret = body.pop("secret")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert body["url"] == "https://hooks.acme.test/quadra" and body["event_types"] == ALL_TYPES
    assert body["enabled"] is True and body["object"] == "webhook_endpoint"
    webhook = _company(api).webhook
    assert webhook is not None and secret not in webhook.secret_ciphertext
    assert open_webhook_secret(api.vault, webhook) == secret  # what delivery will sign with
    assert secret not in str(api.registry.commands) and secret not in str(api.audit.events)
    assert secret not in str(api.log.records)  # the request log never holds it

    shown = await api.client.get(URL)
    assert shown.status_code == 200 and "secret" not in shown.json() and secret not in shown.text
    assert [e.action for e in api.audit.events if e.action.startswith("webhook")] == ["webhook_endpoint.set"]


async def test_changing_the_endpoint_keeps_the_secret_and_rotation_replaces_it(api: ApiHarness) -> None:
    first = (await api.client.put(URL, json={"url": "https://a.acme.test/h"})).json()
    changed = await api.client.put(URL, json={"url": "https://b.acme.test/h", "event_types": ["order.failed"]})
    assert changed.status_code == 200
    assert changed.json()["secret"] == first["secret"] and changed.json()["event_types"] == ["order.failed"]
    again = await api.client.put(URL, json={"url": "https://b.acme.test/h", "event_types": ["order.failed"]})
    assert again.status_code == 200 and len(api.registry.commands) == 2  # the same again: no command

    rotated = await api.client.post(f"{URL}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != first["secret"]
    webhook = _company(api).webhook
    assert webhook is not None and open_webhook_secret(api.vault, webhook) == rotated.json()["secret"]
    assert webhook.url == "https://b.acme.test/h"


async def test_delete_removes_it(api: ApiHarness) -> None:
    await api.client.put(URL, json={"url": "https://hooks.acme.test/q"})
    deleted = await api.client.delete(URL)
    assert deleted.status_code == 204 and _company(api).webhook is None
    for response in (await api.client.get(URL), await api.client.delete(URL),
                     await api.client.post(f"{URL}/rotate-secret")):  # fmt: skip
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_each_company_has_its_own(api: ApiHarness) -> None:
    await api.client.put(URL, json={"url": "https://hooks.acme.test/q"})
    theirs = await api.client.get(URL, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert theirs.status_code == 404


async def test_sandbox_keys_may_use_http_live_keys_may_not(api: ApiHarness) -> None:
    sandbox = await api.client.put(URL, json={"url": "http://localhost:3000/hooks"})
    assert sandbox.status_code == 201, sandbox.text
    api.client.headers["Authorization"] = f"Bearer {LIVE_KEY}"
    commands = list(api.registry.commands)

    for url in ("http://hooks.acme.test/q", "https://localhost/q", "https://10.0.0.8/q"):
        refused = await api.client.put(URL, json={"url": url})
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"].endswith("/validation-failed")
        assert [e["pointer"] for e in refused.json()["errors"]] == ["/url"]
    assert api.registry.commands == commands
    assert (await api.client.put(URL, json={"url": "https://hooks.acme.test/q"})).status_code == 200


JSON = {"Content-Type": "application/json"}

# (name, method, path, headers, body, status, problem type)
BAD: list[tuple[str, str, str, dict[str, str], Any, int, str]] = [
    ("malformed", "PUT", URL, JSON, b'{"url": ', 400, "malformed-json"),
    ("array", "PUT", URL, JSON, ["https://a.test"], 422, "validation-failed"),
    ("empty", "PUT", URL, JSON, {}, 422, "validation-failed"),
    ("unknown field", "PUT", URL, JSON, {"url": "https://a.test/h", "secret": "whsec_mine"}, 422,
     "validation-failed"),
    ("url as number", "PUT", URL, JSON, {"url": 42}, 422, "validation-failed"),
    ("not a url", "PUT", URL, JSON, {"url": "hooks"}, 422, "validation-failed"),
    ("javascript", "PUT", URL, JSON, {"url": "javascript:alert(1)"}, 422, "validation-failed"),
    ("file", "PUT", URL, JSON, {"url": "file:///etc/passwd"}, 422, "validation-failed"),
    ("credentials", "PUT", URL, JSON, {"url": "https://u:p@a.test/h"}, 422, "validation-failed"),
    ("control chars", "PUT", URL, JSON, {"url": "https://a.test/\u0000"}, 422, "validation-failed"),
    ("too long", "PUT", URL, JSON, {"url": "https://a.test/" + "p" * 2040}, 422, "validation-failed"),
    ("unknown event type", "PUT", URL, JSON, {"url": "https://a.test/h", "event_types": ["order.paid"]},
     422, "validation-failed"),
    ("no event types", "PUT", URL, JSON, {"url": "https://a.test/h", "event_types": []}, 422,
     "validation-failed"),
    ("event types as string", "PUT", URL, JSON, {"url": "https://a.test/h", "event_types": "balance.low"},
     422, "validation-failed"),
    ("oversized", "PUT", URL, JSON, {"url": "https://a.test/" + "p" * MAX_BODY}, 413, "payload-too-large"),
    ("form", "PUT", URL, {"Content-Type": "application/x-www-form-urlencoded"}, b"url=https://a.test", 415,
     "unsupported-media-type"),
    ("no auth", "PUT", URL, {**JSON, "Authorization": ""}, {"url": "https://a.test/h"}, 401, "unauthorized"),
    ("no auth get", "GET", URL, {"Authorization": ""}, None, 401, "unauthorized"),
    ("no auth delete", "DELETE", URL, {"Authorization": ""}, None, 401, "unauthorized"),
    ("no auth rotate", "POST", f"{URL}/rotate-secret", {"Authorization": ""}, None, 401, "unauthorized"),
    ("nothing to rotate", "POST", f"{URL}/rotate-secret", {}, None, 404, "not-found"),
    ("wrong method", "PATCH", URL, JSON, {"url": "https://a.test/h"}, 405, "method-not-allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "slug"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
async def test_bad_webhook_requests_are_problems_and_change_nothing(
    api: ApiHarness, method: str, path: str, headers: dict[str, str], body: Any, status: int, slug: str
) -> None:
    if headers.get("Authorization") == "":
        api.client.headers.pop("Authorization")
        headers = {k: v for k, v in headers.items() if k != "Authorization"}
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    before = api.registry.snapshot()

    response = await api.client.request(method, path, content=content, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://docs.quadra.dev/problems/{slug}" and problem["request_id"]
    if status == 422:
        assert problem["errors"]
    assert api.registry.snapshot() == before and api.registry.commands == []
    assert not [e for e in api.audit.events if e.action.startswith("webhook")]
    assert TEST_KEY not in response.text
