"""What each method sends: path, headers, body; hostile or malformed arguments are refused
before anything is sent."""

from __future__ import annotations

import json
import re
from datetime import datetime

import httpx
import pytest
from quadra_client import Quadra, new_idempotency_key
from quadra_client.bodies import OrderBody

from tests.clients.fake_partner_api import BASE_URL, TEST_KEY, ScriptedApi, ok
from tests.clients.wire_samples import (
    balances_json,
    batch_json,
    catalog_product_json,
    order_json,
    page,
    webhook_endpoint_json,
)

BODY: OrderBody = {"product_id": "amazon-de-25", "amount": {"value": 2500, "currency": "EUR"},
        "recipient": {"email": "winner@example.com"}, "end_user": {"id": "employee-7"}}  # fmt: skip


def quadra_answering(*answers: httpx.Response) -> tuple[Quadra, ScriptedApi]:
    api = ScriptedApi(list(answers))
    return Quadra(TEST_KEY, BASE_URL, transport=api.transport, timeout=7), api


def test_create_order_sends_the_body_key_and_wait() -> None:
    quadra, api = quadra_answering(ok(order_json(), 201))
    quadra.create_order(BODY, idempotency_key="reward-1", wait=5)
    sent = api.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/v1/orders")
    assert json.loads(sent.content) == BODY
    assert sent.headers["idempotency-key"] == "reward-1" and sent.headers["prefer"] == "wait=5"
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}" and sent.headers["content-type"] == "application/json"
    assert sent.extensions["timeout"]["read"] == 12  # the wait on top of the client's timeout


def test_a_fractional_wait_is_written_as_the_api_reads_it() -> None:
    quadra, api = quadra_answering(ok(order_json(), 202))
    quadra.create_order(BODY, wait=2.5)
    assert api.requests[0].headers["prefer"] == "wait=2.5"
    assert "prefer" not in quadra_and_sent_without_wait()


def quadra_and_sent_without_wait() -> httpx.Headers:
    quadra, api = quadra_answering(ok(order_json(), 201))
    quadra.create_order(BODY)
    return api.requests[0].headers


@pytest.mark.parametrize("wait", [-1, 1000, float("nan")])
def test_an_impossible_wait_is_refused_before_sending(wait: float) -> None:
    quadra, api = quadra_answering(ok(order_json(), 201))
    with pytest.raises(ValueError, match="wait"):
        quadra.create_order(BODY, wait=wait)
    assert api.requests == []


def test_generated_keys_are_unique_and_hold_no_digit_runs() -> None:
    keys = {new_idempotency_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(r"qc-[a-p]{32}", k) for k in keys)  # never a card-number-like run


@pytest.mark.parametrize("hostile", ["../balance", "ord_1?x=1", "ord_1#frag", "a/b", "%2e%2e"])
def test_ids_stay_one_path_segment(hostile: str) -> None:
    quadra, api = quadra_answering(ok(order_json()))
    quadra.get_order(hostile)
    raw_path = api.requests[0].url.raw_path.decode()
    assert raw_path.startswith("/v1/orders/") and raw_path.count("/") == 3 and "?" not in raw_path
    assert "#" not in raw_path


def test_an_empty_id_is_refused() -> None:
    quadra, api = quadra_answering(ok(order_json()))
    with pytest.raises(ValueError):
        quadra.get_order("")
    assert api.requests == []


@pytest.mark.parametrize("key", ["", "qk_test_ x", "qk\ntest", "qk_test_\x00"])
def test_a_malformed_api_key_is_refused_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="api_key"):
        Quadra(key, BASE_URL)


def test_reads_go_to_their_routes() -> None:
    quadra, api = quadra_answering(
        ok({"object": "list", "data": [catalog_product_json()]}), ok(balances_json()), ok(webhook_endpoint_json(secret=None)),
        httpx.Response(204),
    )
    assert quadra.catalog()[0].id == "amazon-de-25"
    assert quadra.balance().in_currency("EUR").available == 100000000
    assert quadra.get_webhook_endpoint().secret is None
    quadra.delete_webhook_endpoint()
    assert [(r.method, r.url.path) for r in api.requests] == [
        ("GET", "/v1/catalog"), ("GET", "/v1/balance"), ("GET", "/v1/webhook-endpoint"), ("DELETE", "/v1/webhook-endpoint"),
    ]  # fmt: skip


def test_set_webhook_endpoint_sends_the_url_and_types() -> None:
    quadra, api = quadra_answering(ok(webhook_endpoint_json(), 201))
    endpoint = quadra.set_webhook_endpoint("https://partner.example/hooks", ["order.completed"])
    assert endpoint.secret and endpoint.event_types == ("order.completed", "order.failed")
    assert api.requests[0].method == "PUT"
    assert json.loads(api.requests[0].content) == {"url": "https://partner.example/hooks", "event_types": ["order.completed"]}


def test_a_json_batch_sends_its_lines_and_reference() -> None:
    quadra, api = quadra_answering(ok(batch_json(format="json"), 202))
    batch = quadra.create_batch(lines=[BODY, BODY], idempotency_key="payroll-11", reference="payroll-11")
    sent = api.requests[0]
    assert batch.id == "bat_1" and (sent.method, sent.url.path) == ("POST", "/v1/batches")
    assert json.loads(sent.content) == {"lines": [BODY, BODY], "reference": "payroll-11"}
    assert sent.headers["idempotency-key"] == "payroll-11" and sent.extensions["timeout"]["read"] == 120


def test_a_csv_batch_is_sent_as_text_csv() -> None:
    csv = "external_id,product_id,amount,currency,card_number,phone,email,end_user_id\nr1,amazon-de-25,25,EUR,,,a@b.de,u1\n"
    quadra, api = quadra_answering(ok(batch_json(), 202))
    quadra.create_batch(csv=csv)
    sent = api.requests[0]
    assert sent.content == csv.encode() and sent.headers["content-type"] == "text/csv; charset=utf-8"
    assert sent.headers["idempotency-key"].startswith("qc-")
    assert "reference" not in sent.url.params


def test_a_csv_batch_names_its_reference_in_the_url() -> None:
    quadra, api = quadra_answering(ok(batch_json(), 202))
    quadra.create_batch(csv="external_id,product_id\n", reference="payroll 11")
    assert api.requests[0].url.params["reference"] == "payroll 11"


@pytest.mark.parametrize(
    "arguments",
    [{}, {"lines": [BODY], "csv": "a,b\n"}],
    ids=["neither", "both"],
)
def test_a_batch_needs_lines_or_csv(arguments: dict[str, object]) -> None:
    quadra, api = quadra_answering(ok(batch_json(), 202))
    with pytest.raises(ValueError):
        quadra.create_batch(**arguments)  # type: ignore[arg-type]
    assert api.requests == []


def test_results_csv_is_returned_as_bytes() -> None:
    quadra, api = quadra_answering(httpx.Response(200, content=b"line,external_id,status,order_id,reason\n"))
    assert quadra.batch_results_csv("bat_1").startswith(b"line,")
    assert api.requests[0].url.path == "/v1/batches/bat_1/results.csv"


def test_order_filters_are_sent_as_the_api_names_them() -> None:
    quadra, api = quadra_answering(ok(page([], None)))
    list(quadra.iter_orders(status=["completed", "failed"], product_id="amazon-de-25", end_user_id="u1",
                            external_id="e1", created_from=datetime.fromisoformat("2026-11-01T00:00:00+00:00")))  # fmt: skip
    params = api.requests[0].url.params
    assert params.get_list("status") == ["completed", "failed"] and params["product_id"] == "amazon-de-25"
    assert params["from"] == "2026-11-01T00:00:00+00:00" and params["end_user_id"] == "u1"
    assert params["external_id"] == "e1" and params["limit"] == "100" and "cursor" not in params


def test_naive_times_and_unknown_filters_are_refused() -> None:
    quadra, api = quadra_answering(ok(page([], None)))
    with pytest.raises(ValueError, match="timezone"):
        list(quadra.iter_orders(created_to=datetime(2026, 11, 1)))
    with pytest.raises(TypeError, match="colour"):
        list(quadra.iter_orders(colour="red"))  # type: ignore[call-arg]
    assert api.requests == []


def test_from_env_reads_the_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUADRA_API_URL", "https://api.partner.test")
    monkeypatch.setenv("QUADRA_API_KEY", TEST_KEY)
    api = ScriptedApi([ok(balances_json())])
    with Quadra.from_env(transport=api.transport) as quadra:
        quadra.balance()
    assert str(api.requests[0].url) == "https://api.partner.test/v1/balance"
    monkeypatch.delenv("QUADRA_API_KEY")
    with pytest.raises(ValueError, match="QUADRA_API_KEY"):
        Quadra.from_env()
