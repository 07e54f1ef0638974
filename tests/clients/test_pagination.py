"""Iterators follow `next_cursor` page by page, lazily, with the same filters."""

from __future__ import annotations

import httpx
import pytest
from quadra_client import AsyncQuadra, Quadra, UnexpectedResponseError

from tests.clients.fake_partner_api import BASE_URL, TEST_KEY, ScriptedApi, ok
from tests.clients.wire_samples import (
    batch_json,
    batch_line_json,
    fraud_report_json,
    order_json,
    page,
)


def orders(*ids: str) -> list[dict[str, object]]:
    return [order_json(id=i) for i in ids]


def test_iter_orders_follows_the_cursor_to_the_last_page() -> None:
    api = ScriptedApi([ok(page(orders("o1", "o2"), "c1")), ok(page(orders("o3"), "c2")), ok(page([], None))])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra:
        assert [o.id for o in quadra.iter_orders(end_user_id="u1")] == ["o1", "o2", "o3"]
    assert [r.url.params.get("cursor") for r in api.requests] == [None, "c1", "c2"]
    assert all(r.url.params["end_user_id"] == "u1" for r in api.requests)


def test_iteration_is_lazy() -> None:
    api = ScriptedApi([ok(page(orders("o1", "o2"), "c1")), ok(page(orders("o3"), None))])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra:
        found = quadra.iter_orders()
        assert api.requests == []
        assert next(found).id == "o1" and next(found).id == "o2"
        assert len(api.requests) == 1


def test_a_cursor_answered_twice_stops_instead_of_looping_forever() -> None:
    api = ScriptedApi([ok(page(orders("o1"), "c1"))])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra, pytest.raises(UnexpectedResponseError):
        list(quadra.iter_orders())
    assert len(api.requests) == 2


def test_batch_lines_and_fraud_reports_page_the_same_way() -> None:
    api = ScriptedApi([
        ok(page([batch_line_json(1), batch_line_json(2, rejected=True)], "l2")), ok(page([batch_line_json(3)], None)),
        ok(page([fraud_report_json(1)], "f1")), ok(page([fraud_report_json(2)], None)),
        ok(page([batch_json(id="bat_2"), batch_json(id="bat_1")], None)),
    ])  # fmt: skip
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra:
        lines = list(quadra.iter_batch_lines("bat_1", status="rejected_line"))
        reports = list(quadra.fraud_reports())
        batches = list(quadra.iter_batches())
    assert [line.line for line in lines] == [1, 2, 3] and lines[1].is_rejected
    assert [r.id for r in reports] == ["frr_1", "frr_2"] and [b.id for b in batches] == ["bat_2", "bat_1"]
    assert api.requests[0].url.path == "/v1/batches/bat_1/lines"
    assert [r.url.params.get("status") for r in api.requests[:2]] == ["rejected_line", "rejected_line"]
    assert api.requests[3].url.params["cursor"] == "f1" and api.requests[4].url.path == "/v1/batches"


def test_a_page_without_data_is_an_unexpected_response() -> None:
    api = ScriptedApi([ok({"object": "list", "next_cursor": None})])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra, pytest.raises(UnexpectedResponseError, match="data"):
        list(quadra.iter_orders())


async def test_the_async_iterators_follow_the_cursor_too() -> None:
    api = ScriptedApi([ok(page(orders("o1"), "c1")), httpx.Response(503), ok(page(orders("o2"), None))])
    async with AsyncQuadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=_no_sleep) as quadra:
        assert [o.id async for o in quadra.iter_orders(status="completed")] == ["o1", "o2"]
    assert [r.url.params.get("cursor") for r in api.requests] == [None, "c1", "c1"]  # a 503 retried the page


async def _no_sleep(seconds: float) -> None:
    return None
