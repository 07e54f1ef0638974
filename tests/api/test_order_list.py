"""GET /v1/orders: the caller's orders only, filters, cursor pages, bad input as problems."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.orders import OrderStatus, StatusChange
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import T0, order_body


async def _seed(api: ApiHarness) -> list[str]:
    """Five cmp_a orders a minute apart (newest last) and one of cmp_b, all 'stored'."""
    for n in range(5):
        body = order_body(external_id=f"ext-{n}", end_user={"id": f"user-{n % 2}"})
        created = await api.client.post("/v1/orders", json=body, headers={"Idempotency-Key": f"k{n}"})
        assert created.status_code == 201, created.text
    other = await api.client.post("/v1/orders", json=order_body(external_id="ext-0"),
                                  headers={"Idempotency-Key": "o", "Authorization": f"Bearer {OTHER_KEY}"})  # fmt: skip
    assert other.status_code == 201
    ordered = sorted(api.intake.orders.values(), key=lambda o: o.external_id or "")
    for n, order in enumerate(o for o in ordered if o.company_id == "cmp_a"):
        at = T0 + n * timedelta(minutes=1)
        history = (replace(order.history[0], at=at), *order.history[1:])
        if n == 3:
            history += (StatusChange(OrderStatus.FAILED, "provider declined", at),)
        api.reader.orders[order.id] = replace(order, created_at=at, history=history)
    other_order = next(o for o in ordered if o.company_id == "cmp_b")
    api.reader.orders[other_order.id] = other_order
    return [o.id for o in sorted((o for o in api.reader.orders.values() if o.company_id == "cmp_a"),
                                 key=lambda o: o.created_at, reverse=True)]  # fmt: skip


async def test_pages_of_own_orders_newest_first(api: ApiHarness) -> None:
    ids = await _seed(api)
    seen, cursor = [], None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        r = await api.client.get("/v1/orders", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["object"] == "list" and all(o["object"] == "order" for o in body["data"])
        seen += [o["id"] for o in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids  # each once, newest first, none of cmp_b's


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"external_id": "ext-0"}, [0]),
        ({"end_user_id": "user-1"}, [3, 1]),
        ({"status": "failed"}, [3]),
        ([("status", "failed"), ("status", "approved")], [4, 3, 2, 1, 0]),
        ({"product_id": "gift-eur"}, []),
        ({"from": "2026-11-26T12:01:00.123Z", "to": "2026-11-26T12:03:00.123Z"}, [2, 1]),
        ({"external_id": "x' OR 1=1 --"}, []),
    ],
)
async def test_filters(api: ApiHarness, params: dict | list, expected: list[int]) -> None:
    ids = list(reversed(await _seed(api)))  # by age: ids[n] is the n-th order
    r = await api.client.get("/v1/orders", params=params)
    assert r.status_code == 200, r.text
    assert [o["id"] for o in r.json()["data"]] == [ids[n] for n in expected]


async def test_a_filter_cannot_reach_another_company(api: ApiHarness) -> None:
    await _seed(api)
    r = await api.client.get("/v1/orders", params={"company_id": "cmp_b"})
    assert r.status_code == 422  # not a partner filter: refused, never widened
    r = await api.client.get("/v1/orders", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert [o["external_id"] for o in r.json()["data"]] == ["ext-0"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "501"}, 422), ({"limit": "0"}, 422), ({"from": "monday"}, 422),
        ({"from": "2026-11-27T00:00:00Z", "to": "2026-11-26T00:00:00Z"}, 422),
        ({"status": "paid"}, 422), ({"cursor": "bm9wZQ"}, 400), ({"cursor": "%%%"}, 400),
        ({"sort": "amount"}, 422),
    ],
)
async def test_bad_input(api: ApiHarness, params: dict, status: int) -> None:
    r = await api.client.get("/v1/orders", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_needs_a_key(api: ApiHarness) -> None:
    r = await api.client.get("/v1/orders", headers={"Authorization": ""})
    assert r.status_code == 401
