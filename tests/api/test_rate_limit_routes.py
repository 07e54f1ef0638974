"""Rate limits at the partner API: 429 problems with Retry-After, RateLimit-* headers on every
answer, nothing reaches intake, and every refusal is in the request log."""

from __future__ import annotations

import pytest

from api.rate_limit import EdgeRateLimits, RateLimit
from domain.registry import EditCompany
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.api.test_rate_limit import FakeClock
from tests.builders import T0, order_body

JSON = {"Content-Type": "application/json"}
RATE_LIMITED = "https://docs.quadra.dev/problems/rate-limited"


def limited(api: ApiHarness, per_key: RateLimit, failed_auth: RateLimit = RateLimit(10, 100)) -> FakeClock:
    clock = FakeClock()
    assert api.app is not None
    api.app.state.rate_limits = EdgeRateLimits(per_key, failed_auth, clock)
    return clock


async def post_order(api: ApiHarness, n: int, **headers: str):  # noqa: ANN201 - httpx.Response
    return await api.client.post("/v1/orders", json=order_body(), headers={**JSON, "Idempotency-Key": f"k-{n}", **headers})


async def test_a_key_over_its_limit_gets_429_and_nothing_reaches_intake(api: ApiHarness) -> None:
    clock = limited(api, RateLimit(per_s=0.5, burst=2))
    first, second, third = [await post_order(api, n) for n in range(3)]

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 429)
    assert [r.headers["ratelimit-remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    assert third.headers["content-type"] == "application/problem+json"
    assert third.headers["retry-after"] == "2"  # one token back after 2 s at 0.5/s
    assert third.headers["ratelimit-limit"] == "2" and third.headers["ratelimit-reset"] == "4"
    problem = third.json()
    assert problem["type"] == RATE_LIMITED and problem["status"] == 429 and problem["request_id"]
    assert len(api.intake.submitted) == 2  # the refused one was never published
    record = api.log.records[-1]
    assert (record.status, record.company_id, record.error_type) == (429, "cmp_a", RATE_LIMITED)

    clock.now += 2.0
    assert (await post_order(api, 3)).status_code == 201


async def test_a_refused_retry_with_the_same_key_and_body_is_safe_later(api: ApiHarness) -> None:
    clock = limited(api, RateLimit(per_s=1.0, burst=1))
    created = await post_order(api, 7)
    refused = await post_order(api, 7)
    clock.now += 1.0
    replayed = await post_order(api, 7)
    assert (created.status_code, refused.status_code, replayed.status_code) == (201, 429, 200)
    assert replayed.json()["id"] == created.json()["id"]


async def test_each_key_has_its_own_budget(api: ApiHarness) -> None:
    limited(api, RateLimit(per_s=1.0, burst=1))
    assert (await api.client.get("/v1/catalog")).status_code == 200
    assert (await api.client.get("/v1/catalog")).status_code == 429
    other = await api.client.get("/v1/catalog", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/catalog", 200),
        ("GET", "/v1/balance", 200),
        ("GET", "/v1/orders", 200),
        ("GET", "/v1/orders/ord_" + "0" * 32, 404),
        ("GET", "/v1/webhook-endpoint", 404),
        ("GET", "/v1/orders?limit=0", 422),
        ("POST", "/v1/orders", 422),
    ],
)
async def test_every_authenticated_answer_carries_the_budget(api: ApiHarness, method: str, path: str, status: int) -> None:
    limited(api, RateLimit(per_s=100.0, burst=200))
    response = await api.client.request(method, path, json={}, headers={**JSON, "Idempotency-Key": "k"})
    assert response.status_code == status, response.text
    assert response.headers["ratelimit-limit"] == "200"
    assert response.headers["ratelimit-remaining"] == "199"
    assert response.headers["ratelimit-reset"] == "1"


async def test_the_budget_is_counted_before_the_body_is_judged(api: ApiHarness) -> None:
    limited(api, RateLimit(per_s=1.0, burst=1))
    await api.client.get("/v1/catalog")
    invalid = await api.client.post("/v1/orders", json={"x": 1}, headers={**JSON, "Idempotency-Key": "k"})
    assert invalid.status_code == 429  # not 422: an over-limit key gets no validation work
    # FastAPI reads JSON before any dependency runs: malformed JSON stays a 400, costing nothing.
    malformed = await api.client.post("/v1/orders", content=b"{not json", headers={**JSON, "Idempotency-Key": "k"})
    assert malformed.status_code == 400 and api.intake.submitted == []


async def test_failed_authentication_floods_from_one_network_get_429(api: ApiHarness) -> None:
    clock = limited(api, RateLimit(100.0, 200), failed_auth=RateLimit(per_s=1.0, burst=2))
    bad = {"Authorization": "Bearer qk_test_" + "Z" * 43}
    answers = [await api.client.get("/v1/catalog", headers=bad) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[2].headers["retry-after"] == "1"
    assert answers[2].json()["type"] == RATE_LIMITED
    assert answers[0].headers["ratelimit-remaining"] == "1"
    garbage = await api.client.get("/v1/catalog", headers={"Authorization": "Basic x"})
    assert garbage.status_code == 429  # malformed credentials count as failures too
    assert [r.status for r in api.log.records] == [401, 401, 429, 429]
    # A good key from the same network is not held back by the failures.
    assert (await api.client.get("/v1/catalog")).status_code == 200
    clock.now += 1.0
    assert (await api.client.get("/v1/catalog", headers=bad)).status_code == 401


async def test_calls_from_off_the_allowlist_never_use_up_the_key_s_budget(api: ApiHarness) -> None:
    limited(api, RateLimit(per_s=1.0, burst=1), failed_auth=RateLimit(per_s=1.0, burst=2))
    await api.registry.submit(EditCompany("allow", "cmp_a", {"ip_allowlist": ("10.0.0.0/8",)}, T0))
    answers = [await api.client.get("/v1/catalog") for _ in range(3)]  # from 127.0.0.1
    assert [a.status_code for a in answers] == [403, 403, 429]
    assert answers[0].json()["type"].endswith("/ip-not-allowed")
    await api.registry.submit(EditCompany("open", "cmp_a", {"ip_allowlist": ()}, T0))
    assert (await api.client.get("/v1/catalog")).status_code == 200  # its one token is still there


async def test_default_limits_are_what_a_partner_gets(api: ApiHarness) -> None:
    response = await api.client.get("/v1/catalog")
    assert response.headers["ratelimit-limit"] == "200"
    assert response.headers["ratelimit-remaining"] == "199"


async def test_health_and_staff_sign_in_are_not_partner_limited(api: ApiHarness) -> None:
    limited(api, RateLimit(per_s=1.0, burst=1))
    for _ in range(3):
        assert (await api.client.get("/healthz")).status_code == 200
    assert "ratelimit-limit" not in (await api.client.get("/healthz")).headers
