"""The store against a scripted partner API: forms become the right orders; bad forms are
refused with a page saying why, and nothing is ordered."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from examples.motivation_store.app import create_app
from examples.motivation_store.rewards import InvalidReward, parse_amount
from quadra_client import AsyncQuadra
from tests.clients.fake_partner_api import BASE_URL, TEST_KEY, ScriptedApi, by_route, ok, problem
from tests.clients.wire_samples import catalog_product_json, order_json

CATALOG = {"object": "list", "data": [
    catalog_product_json(),
    catalog_product_json(id="topup-de", type="mobile_topup", brand="<script>alert(1)</script>",
                         denominations=None, min_amount=500, max_amount=10000, fee={"fixed": 0, "basis_points": 0}),
]}  # fmt: skip
GIFT_FORM = {"product_id": "amazon-de-25", "amount": "25.00", "employee_id": "emp-7",
             "recipient": "anna@example.com", "idempotency_key": "form-key-1"}  # fmt: skip


def store_with(api: ScriptedApi) -> httpx.AsyncClient:
    app = create_app(AsyncQuadra(TEST_KEY, BASE_URL, transport=api.transport))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://store.test")


def orders_posted(api: ScriptedApi) -> list[httpx.Request]:
    return [r for r in api.requests if (r.method, r.url.path) == ("POST", "/v1/orders")]


async def test_the_store_lists_the_catalog_with_a_key_per_form() -> None:
    api = ScriptedApi([by_route({("GET", "/v1/catalog"): ok(CATALOG)})])
    async with store_with(api) as browser:
        page = (await browser.get("/")).text
    assert "Amazon.de" in page and "25.00 EUR" in page and "5.00 EUR – 100.00 EUR" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    assert len(keys) == 2 and len(set(keys)) == 2


async def test_a_reward_is_ordered_with_the_forms_key_and_shown() -> None:
    created = order_json(id="ord_" + "c" * 32, product_id="amazon-de-25", end_user_id="emp-7",
                         delivery={"code": "GIFT-CODE-1"})  # fmt: skip
    api = ScriptedApi([by_route({
        ("GET", "/v1/catalog"): ok(CATALOG), ("POST", "/v1/orders"): ok(created, 201),
        ("GET", f"/v1/orders/{created['id']}"): ok(created),
    })])  # fmt: skip
    async with store_with(api) as browser:
        sent = await browser.post("/rewards", data=GIFT_FORM)
        assert sent.status_code == 303 and sent.headers["location"] == f"/rewards/{created['id']}"
        shown = await browser.get(sent.headers["location"])
    [posted] = orders_posted(api)
    assert posted.headers["idempotency-key"] == "form-key-1" and posted.headers["prefer"] == "wait=5"
    assert json.loads(posted.content) == {
        "product_id": "amazon-de-25", "amount": {"value": 2500, "currency": "EUR"},
        "recipient": {"email": "anna@example.com"}, "end_user": {"id": "emp-7"},
        "metadata": {"source": "motivation-store"},
    }  # fmt: skip
    assert '<strong id="status">completed</strong>' in shown.text and "GIFT-CODE-1" in shown.text
    assert "refresh" not in shown.text


@pytest.mark.parametrize(
    "change",
    [{"amount": "abc"}, {"amount": "25.001"}, {"amount": "-25"}, {"amount": "1e9999"}, {"amount": "NaN"},
     {"amount": "26.00"}, {"product_id": "no-such-product"}, {"employee_id": "  "}, {"recipient": ""}],
    ids=["text", "three-decimals", "negative", "huge", "nan", "not-a-denomination", "unknown-product",
         "no-employee", "no-recipient"],
)  # fmt: skip
async def test_a_bad_form_is_refused_and_nothing_is_ordered(change: dict[str, str]) -> None:
    api = ScriptedApi([by_route({("GET", "/v1/catalog"): ok(CATALOG), ("POST", "/v1/orders"): ok(order_json(), 201)})])
    async with store_with(api) as browser:
        answer = await browser.post("/rewards", data={**GIFT_FORM, **change})
    assert answer.status_code == 422 and "not sent" in answer.text
    assert orders_posted(api) == []


async def test_the_apis_field_errors_are_shown() -> None:
    refusal = problem(422, "validation-failed", "See errors[].",
                      errors=[{"pointer": "/recipient/phone", "code": "string_pattern_mismatch", "message": "not E.164"}])  # fmt: skip
    api = ScriptedApi([by_route({("GET", "/v1/catalog"): ok(CATALOG), ("POST", "/v1/orders"): refusal})])
    form = {**GIFT_FORM, "product_id": "topup-de", "amount": "15", "recipient": "0151 123"}
    async with store_with(api) as browser:
        answer = await browser.post("/rewards", data=form)
    assert answer.status_code == 422 and "/recipient/phone: not E.164" in answer.text
    assert json.loads(orders_posted(api)[0].content)["recipient"] == {"phone": "0151 123"}


async def test_a_pending_reward_refreshes_and_an_unknown_one_is_404() -> None:
    pending = order_json(id="ord_" + "d" * 32, status="dispatched")
    api = ScriptedApi([by_route({("GET", f"/v1/orders/{pending['id']}"): ok(pending)})])
    async with store_with(api) as browser:
        assert 'http-equiv="refresh"' in (await browser.get(f"/rewards/{pending['id']}")).text
        assert (await browser.get("/rewards/ord_unknown")).status_code == 404


def test_amounts_are_read_as_decimals() -> None:
    assert [parse_amount(t) for t in ("25", "25.5", "25.50", " 0.01 ")] == [2500, 2550, 2550, 1]
    with pytest.raises(InvalidReward):
        parse_amount("0.001")
