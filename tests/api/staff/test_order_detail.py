"""Staff order detail, request viewer and model page over fakes: the JSON shapes, what each
role may read, sanitized output, and bad ids (malformed, hostile, oversized, traversal) as
404 problems with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.staff.model_service import ModelDesk
from api.staff.order_timeline_service import OrderTimelines
from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.order_timeline_fakes import MODEL_VERSION, FixedDirectory, StoryReads, SyntheticSamples, manifest
from tests.timeline_builders import CLEAR_PAN, ORDER_ID, REQUEST_ID, SECRET, order_story

PROBLEM = "application/problem+json"


@dataclass
class Pages:
    h: StaffHarness
    reads: StoryReads
    directory: FixedDirectory
    samples: SyntheticSamples

    async def get(self, path: str, role: Role | None = Role.READ_ONLY) -> httpx.Response:
        headers = self.h.bearer(role) if role is not None else {}
        return await self.h.client.get("/staff/v1" + path, headers=headers)


@pytest.fixture
async def pages(staff_api: StaffHarness) -> AsyncIterator[Pages]:
    reads = StoryReads(order_story())
    directory, samples = FixedDirectory(manifest()), SyntheticSamples()
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    timelines = OrderTimelines(reads, reads, reads, reads, reads)
    desk = ModelDesk(directory, samples, clock=lambda: datetime(2026, 11, 26, 12, tzinfo=UTC))
    app.state.services = replace(services, staff=replace(services.staff, orders=timelines, model=desk))
    staff_api.audit.events.clear()
    yield Pages(staff_api, reads, directory, samples)


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_the_order_detail(pages: Pages, role: Role) -> None:
    r = await pages.get(f"/orders/{ORDER_ID}", role)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "order_detail" and body["order"]["order_id"] == ORDER_ID
    assert body["order"]["status"] == "completed" and body["order"]["amount"] == {"value": 2500, "currency": "EUR"}
    kinds = [item["kind"] for item in body["timeline"]]
    assert set(kinds) == {"partner_request", "status", "decision", "case_event", "ledger_entry", "provider_call",
                          "webhook_attempt"}  # fmt: skip
    assert [i["at"] for i in body["timeline"]] == sorted(i["at"] for i in body["timeline"])
    assert body["decision"]["outcome"] == "in_review" and len(body["webhooks"]) == 2
    assert CLEAR_PAN not in r.text and SECRET not in r.text
    assert not pages.h.audit.events  # reads are not audited and write nothing


async def test_request_viewer_shows_sanitized_headers_and_bodies(pages: Pages) -> None:
    r = await pages.get(f"/request-log/{REQUEST_ID}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "logged_request" and body["direction"] == "inbound" and body["status"] == 201
    assert {"name": "authorization", "value": "[REDACTED]"} in body["request_headers"]
    assert body["stored"] == {"request_headers": True, "request_body": True, "response_body": True,
                              "response_headers": False}  # fmt: skip
    assert "411111******1111" in body["request_body"] and CLEAR_PAN not in r.text and SECRET not in r.text
    attempt = pages.reads.story.webhook_records[-1].attempt_id
    webhook = await pages.get(f"/request-log/{attempt}")
    assert webhook.status_code == 200 and webhook.json()["stored"]["request_body"] is False


async def test_model_page_shape_and_drift(pages: Pages) -> None:
    r = await pages.get("/fraud/model", Role.RISK)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "fraud_model" and body["kind"] == "supervised" and body["version"] == MODEL_VERSION
    assert body["serving_version"] == MODEL_VERSION and body["in_service"] is True
    assert body["training"] == {"from": "2026-08-01", "to": "2026-10-31", "orders": 9000, "labelled": 8000,
                                "frauds": 90, "input": "tx.jsonl"}  # fmt: skip
    model = body["model"]
    assert model["estimator"] == "HistGradientBoostingClassifier" and model["file_intact"]
    assert model["metrics"]["scope"] == "in_sample" and model["metrics"]["roc_auc"] == 0.91
    assert model["metrics"]["precision_at_100"] == 0.31 and model["thresholds"] == {"review": 0.3, "decline": 0.8}
    assert [m["kind"] for m in body["other_models"]] == ["anomaly"]
    drift = body["drift"]
    assert drift["threshold"] == 0.2 and set(drift["recent"]) == {"from", "to", "decisions", "sampled", "models"}
    assert drift["score"]["flagged"] and drift["features"][0]["name"] == "amount" and drift["features"][0]["flagged"]
    assert len(drift["features"]) == 10 and "unknown_feature" not in [f["name"] for f in drift["features"]]
    assert not any(f["flagged"] for f in drift["features"][1:])
    assert len(drift["score"]["bins"]) >= 2 and drift["score"]["bins"][-1]["upper"] is None


async def test_model_page_is_computed_once_a_minute(pages: Pages) -> None:
    for _ in range(3):
        assert (await pages.get("/fraud/model")).status_code == 200
    assert pages.directory.reads == 1 and pages.samples.calls == 2


async def test_model_page_without_a_model_directory(staff_api: StaffHarness) -> None:
    app = staff_api.client._transport.app  # type: ignore[attr-defined]
    services = app.state.services
    desk = ModelDesk(FixedDirectory(None), SyntheticSamples(version=""))
    app.state.services = replace(services, staff=replace(services.staff, model=desk))
    body = (await staff_api.client.get("/staff/v1/fraud/model", headers=staff_api.bearer(Role.SUPPORT))).json()
    assert body["kind"] == "none" and body["version"] is None and body["model"] is None
    assert body["directory_configured"] is False and body["in_service"] is None
    assert body["drift"]["score"]["psi"] is not None


@pytest.mark.parametrize("path", ["/orders/" + ORDER_ID, "/request-log/" + REQUEST_ID, "/fraud/model"])
async def test_signed_out_callers_are_refused(pages: Pages, path: str) -> None:
    r = await pages.get(path, role=None)
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)


BAD_ORDER_IDS = [
    "ord_" + "0" * 32,  # well formed, unknown
    "ord_" + "A" * 32, "ord_xyz", "order", ORDER_ID + "0", "ord_" + "a" * 10_000,
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "x'%20OR%201%3D1%20--", "..", "%2e%2e", "ord_%00" + "a" * 28,
    "..%2F..%2Fetc%2Fpasswd", "%F0%9F%99%82",
]  # fmt: skip
BAD_REQUEST_IDS = [
    "f" * 32,  # well formed, unknown
    "F" * 32, "0" * 31, "msg_" + "0" * 32, "msg_" + "0" * 32 + ":x:1%3B", "a" * 10_000, "..",
    "..%2F..%2Fetc%2Fpasswd", "%3Cscript%3E", "x'%20OR%201%3D1%20--",
]  # fmt: skip


@pytest.mark.parametrize(("prefix", "bad"), [("/orders/", b) for b in BAD_ORDER_IDS]
                         + [("/request-log/", b) for b in BAD_REQUEST_IDS])  # fmt: skip
async def test_bad_ids_are_404_problems(pages: Pages, prefix: str, bad: str) -> None:
    r = await pages.get(prefix + bad)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["status"] == 404 and not pages.h.audit.events  # JSON (a problem), never HTML


async def test_not_served_here_is_503(staff_api: StaffHarness) -> None:
    app = staff_api.client._transport.app  # type: ignore[attr-defined]
    services = app.state.services
    app.state.services = replace(services, staff=replace(services.staff, orders=None, model=None))
    for path in (f"/orders/{ORDER_ID}", f"/request-log/{REQUEST_ID}", "/fraud/model"):
        r = await staff_api.client.get("/staff/v1" + path, headers=staff_api.bearer(Role.ADMIN))
        assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM)


async def test_stale_cache_is_recomputed(pages: Pages) -> None:
    clock = [datetime(2026, 11, 26, 12, tzinfo=UTC)]
    desk = ModelDesk(pages.directory, pages.samples, clock=lambda: clock[0])
    await desk.page()
    clock[0] += timedelta(seconds=61)
    await desk.page()
    assert pages.directory.reads == 2
