"""Staff webhook routes over fakes: the delivery log, replays, permissions, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from api.staff.webhook_service import WebhookAdmin
from domain.ledger import LowBalance
from domain.staff import Role
from domain.webhook_events import low_balance_message
from domain.webhook_log import AttemptView, DeliveryView
from domain.webhooks import DeliveryStatus
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.api.staff.webhook_fakes import InMemoryDeliveryLog, RecordingReplays
from tests.builders import T0

H = timedelta(hours=1)
BASE = "/staff/v1/webhooks"
STATUSES = [DeliveryStatus.DELIVERED, DeliveryStatus.EXHAUSTED, DeliveryStatus.RETRYING, DeliveryStatus.PENDING]


def _view(company: str, hour: int, status: DeliveryStatus) -> DeliveryView:
    message = low_balance_message(LowBalance(company, "EUR", 1, 2, T0 + hour * H))
    return DeliveryView(
        message, status, 0 if status is DeliveryStatus.PENDING else 3, "", T0 + hour * H,
        None if status is DeliveryStatus.PENDING else T0 + hour * H, 503, "", None,
        "https://partner.test/hook",
    )  # fmt: skip


@dataclass
class Webhooks:
    h: StaffHarness
    log: InMemoryDeliveryLog
    replays: RecordingReplays

    async def call(self, role: Role, method: str, path: str, **kw: Any) -> Any:
        return await self.h.client.request(method, BASE + path, headers=self.h.bearer(role), **kw)


@pytest.fixture
async def webhooks(staff_api: StaffHarness) -> AsyncIterator[Webhooks]:
    log, replays = InMemoryDeliveryLog(), RecordingReplays()
    log.deliveries = [_view(COMPANY, i, STATUSES[i % 4]) for i in range(10)] + [_view("cmp_other", 3, STATUSES[0])]
    first = log.deliveries[0].message.id
    log.attempt_log[first] = [
        AttemptView(f"{first}::0", "", 0, DeliveryStatus.PENDING, T0, "", 0, 0, ""),
        AttemptView(f"{first}::1", "", 1, DeliveryStatus.RETRYING, T0, "https://partner.test/hook", 0, 10_000,
                    "ConnectTimeout"),
        AttemptView(f"{first}::2", "", 2, DeliveryStatus.DELIVERED, T0, "https://partner.test/hook", 200, 31, ""),
    ]  # fmt: skip
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    admin = WebhookAdmin(log, replays, staff_api.audit, max_replay=8)
    app.state.services = replace(services, staff=replace(services.staff, webhooks=admin))
    yield Webhooks(staff_api, log, replays)


async def test_listing_filters_and_pages_newest_first(webhooks: Webhooks) -> None:
    first = await webhooks.call(Role.READ_ONLY, "GET", "/deliveries", params={"company_id": COMPANY, "limit": 4})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [d["occurred_at"][:13] for d in body["data"]] == ["2026-11-26T21", "2026-11-26T20", "2026-11-26T19",
                                                              "2026-11-26T18"]  # fmt: skip
    assert body["data"][0]["payload"]["type"] == "balance.low" and body["data"][0]["order_id"] is None
    seen = [d["message_id"] for d in body["data"]]
    cursor = body["next_cursor"]
    while cursor:
        page = (await webhooks.call(Role.READ_ONLY, "GET", "/deliveries",
                                    params={"company_id": COMPANY, "limit": 4, "cursor": cursor})).json()  # fmt: skip
        seen += [d["message_id"] for d in page["data"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 10

    exhausted = (await webhooks.call(Role.SUPPORT, "GET", "/deliveries", params={"status": "exhausted"})).json()
    assert {d["status"] for d in exhausted["data"]} == {"exhausted"} and len(exhausted["data"]) == 3
    window = await webhooks.call(Role.RISK, "GET", "/deliveries", params={
        "company_id": COMPANY, "from": "2026-11-26T13:00:00Z", "to": "2026-11-26T15:00:00+00:00"})  # fmt: skip
    assert len(window.json()["data"]) == 2
    everyone = (await webhooks.call(Role.FINANCE, "GET", "/deliveries")).json()
    assert len(everyone["data"]) == 11


async def test_one_delivery_with_its_attempts(webhooks: Webhooks) -> None:
    message_id = webhooks.log.deliveries[0].message.id
    got = await webhooks.call(Role.SUPPORT, "GET", f"/deliveries/{message_id}")
    assert got.status_code == 200, got.text
    log = got.json()["attempt_log"]
    assert [(a["attempt"], a["status"], a["response_status"]) for a in log] == [
        (0, "pending", None), (1, "retrying", None), (2, "delivered", 200)
    ]
    assert log[1]["error"] == "ConnectTimeout"


async def test_replaying_one_message_queues_it_with_the_same_id_and_is_audited(webhooks: Webhooks) -> None:
    view = webhooks.log.deliveries[1]
    response = await webhooks.call(Role.SUPPORT, "POST", f"/deliveries/{view.message.id}/replay")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["count"] == 1 and body["message_ids"] == [view.message.id]
    [request] = webhooks.replays.requests
    assert request.message == view.message and request.replay_id == body["replay_id"]
    assert request.requested_by == webhooks.h.users[Role.SUPPORT].id
    [event] = webhooks.h.audit.events
    assert (event.action, event.target, event.company_id) == ("webhook.replay", view.message.id, COMPANY)


async def test_replaying_a_range_queues_every_delivery_in_it_oldest_first(webhooks: Webhooks) -> None:
    response = await webhooks.call(Role.ADMIN, "POST", "/replay", json={
        "company_id": COMPANY, "from": "2026-11-26T13:00:00Z", "to": "2026-11-26T17:00:00Z"})  # fmt: skip
    assert response.status_code == 202, response.text
    assert response.json()["count"] == 4
    times = [r.message.occurred_at for r in webhooks.replays.requests]
    assert times == sorted(times) and len(times) == 4
    assert {r.message.company_id for r in webhooks.replays.requests} == {COMPANY}
    assert len({r.replay_id for r in webhooks.replays.requests}) == 1
    [event] = webhooks.h.audit.events
    assert event.action == "webhook.replay_range" and event.details["count"] == 4


async def test_a_range_over_the_limit_is_refused_and_nothing_is_queued(webhooks: Webhooks) -> None:
    response = await webhooks.call(Role.ADMIN, "POST", "/replay", json={
        "company_id": COMPANY, "from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["type"].endswith("/replay-range-too-large")
    assert webhooks.replays.requests == [] and webhooks.h.audit.events == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_who_may_replay(webhooks: Webhooks, role: Role) -> None:
    message_id = webhooks.log.deliveries[0].message.id
    one = await webhooks.call(role, "POST", f"/deliveries/{message_id}/replay")
    many = await webhooks.call(role, "POST", "/replay", json={
        "company_id": COMPANY, "from": "2026-11-26T12:00:00Z", "to": "2026-11-26T13:00:00Z"})  # fmt: skip
    listing = await webhooks.call(role, "GET", "/deliveries")
    allowed = role in (Role.ADMIN, Role.SUPPORT)
    assert (one.status_code, many.status_code) == ((202, 202) if allowed else (403, 403))
    assert listing.status_code == 200  # everyone may look
    if not allowed:
        assert one.json()["type"].endswith("/forbidden")
        assert webhooks.replays.requests == [] and webhooks.h.audit.events == []


async def test_signed_out_callers_get_401(webhooks: Webhooks) -> None:
    response = await webhooks.h.client.get(BASE + "/deliveries")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


MSG = "msg_" + "0" * 32
GOOD_RANGE = {"company_id": COMPANY, "from": "2026-11-26T12:00:00Z", "to": "2026-11-26T13:00:00Z"}
JSON = "application/json"

# (name, method, path, query or body, status, problem type)
BAD: list[tuple[str, str, str, Any, int, str]] = [
    ("unknown status", "GET", "/deliveries", {"status": "lost"}, 422, "validation-failed"),
    ("bad company id", "GET", "/deliveries", {"company_id": "acme; DROP"}, 422, "validation-failed"),
    ("naive from", "GET", "/deliveries", {"from": "2026-11-26T12:00:00"}, 422, "validation-failed"),
    ("not a time", "GET", "/deliveries", {"to": "yesterday"}, 422, "validation-failed"),
    ("to before from", "GET", "/deliveries", {"from": "2026-11-27T00:00:00Z", "to": "2026-11-26T00:00:00Z"},
     422, "validation-failed"),
    ("limit zero", "GET", "/deliveries", {"limit": 0}, 422, "validation-failed"),
    ("limit huge", "GET", "/deliveries", {"limit": 10_000}, 422, "validation-failed"),
    ("forged cursor", "GET", "/deliveries", {"cursor": "bm90IGEgY3Vyc29y"}, 422, "validation-failed"),
    ("garbage cursor", "GET", "/deliveries", {"cursor": "%%%"}, 422, "validation-failed"),
    ("malformed id", "GET", "/deliveries/msg_x", None, 404, "not-found"),
    ("unknown id", "GET", f"/deliveries/{MSG}", None, 404, "not-found"),
    ("replay malformed id", "POST", "/deliveries/msg_NOPE%3B/replay", None, 404, "not-found"),
    ("replay unknown id", "POST", f"/deliveries/{MSG}/replay", None, 404, "not-found"),
    ("range malformed json", "POST", "/replay", b'{"company_id": ', 400, "malformed-json"),
    ("range empty", "POST", "/replay", {}, 422, "validation-failed"),
    ("range unknown field", "POST", "/replay", {**GOOD_RANGE, "status": "exhausted"}, 422, "validation-failed"),
    ("range naive times", "POST", "/replay", {**GOOD_RANGE, "from": "2026-11-26T12:00:00"}, 422,
     "validation-failed"),
    ("range reversed", "POST", "/replay", {**GOOD_RANGE, "to": "2026-11-26T11:00:00Z"}, 422, "validation-failed"),
    ("range too long", "POST", "/replay", {**GOOD_RANGE, "to": "2027-03-01T00:00:00Z"}, 422, "validation-failed"),
    ("range company as number", "POST", "/replay", {**GOOD_RANGE, "company_id": 7}, 422, "validation-failed"),
    ("range bad company id", "POST", "/replay", {**GOOD_RANGE, "company_id": "x"}, 422, "validation-failed"),
    ("range unknown company", "POST", "/replay", {**GOOD_RANGE, "company_id": "cmp_nobody"}, 404, "not-found"),
    ("range as form", "POST", "/replay", "company_id=x", 415, "unsupported-media-type"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "method", "path", "data", "status", "slug"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_gets_a_problem_and_queues_nothing(
    webhooks: Webhooks, name: str, method: str, path: str, data: Any, status: int, slug: str
) -> None:
    headers = webhooks.h.bearer(Role.ADMIN)
    if method == "GET":
        response = await webhooks.h.client.get(BASE + path, params=data, headers=headers)
    elif isinstance(data, bytes):
        response = await webhooks.h.client.post(BASE + path, content=data, headers={**headers, "content-type": JSON})
    elif isinstance(data, str):
        response = await webhooks.h.client.post(BASE + path, content=data, headers={
            **headers, "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    else:
        response = await webhooks.h.client.post(BASE + path, json=data, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/" + slug)
    assert webhooks.replays.requests == [] and webhooks.h.audit.events == []
