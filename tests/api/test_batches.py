"""POST /v1/batches over the fakes: good lines become orders through the order path (same
schema, same catalog terms, keys `batch:<id>:<line>`), bad lines are rejected with their errors,
replays and conflicts behave as for orders, and reads are the company's own."""

from __future__ import annotations

import csv
import io

import pytest

from domain.batches import line_idempotency_key
from domain.intake import Decision
from domain.orders import OrderStatus
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import card_number, order_body

PROBLEM = "application/problem+json"
CARD = "4111111111111111"


def _line(n: int, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "recipient": {"card_number": card_number(n)}, "end_user": {"id": f"user-{n}"}, "external_id": f"ext-{n}",
    }  # fmt: skip
    return order_body(**{**fields, **overrides})


def _completing(api: ApiHarness) -> None:
    """Orders rest at once (completed), so a batch completes as soon as its lines are in."""
    api.intake.decide = lambda order: Decision(OrderStatus.COMPLETED, "paid")


async def _post_json(api: ApiHarness, lines: list[object], key: str = "b-1", **extra: object):  # type: ignore[no-untyped-def]
    return await api.client.post("/v1/batches", json={"lines": lines, **extra}, headers={"Idempotency-Key": key})


async def _post_csv(api: ApiHarness, text: str | bytes, key: str = "c-1", **params: str):  # type: ignore[no-untyped-def]
    body = text.encode() if isinstance(text, str) else text
    return await api.client.post(
        "/v1/batches", content=body, params=params,
        headers={"Idempotency-Key": key, "Content-Type": "text/csv; charset=utf-8"},
    )  # fmt: skip


async def test_good_lines_become_orders_and_bad_lines_are_rejected_with_their_errors(api: ApiHarness) -> None:
    _completing(api)
    bad_card = _line(2, recipient={"card_number": "4111111111111112"})  # Luhn fails
    too_much = _line(4, amount={"value": 2_000_000, "currency": "EUR"})  # above the product's 10,000.00
    r = await _post_json(api, [_line(1), bad_card, _line(3), too_much, _line(5)], reference="payroll-11")
    assert r.status_code == 202, r.text
    batch = r.json()
    assert r.headers["location"] == f"/v1/batches/{batch['id']}"
    assert batch["id"].startswith("bat_") and batch["object"] == "batch" and batch["format"] == "json"
    assert (batch["total_lines"], batch["accepted_lines"], batch["rejected_lines"]) == (5, 3, 2)
    assert batch["status"] == "completed" and batch["reference"] == "payroll-11"
    assert batch["counts"] == {"completed": 3, "failed": 0, "in_review": 0, "declined": 0, "rejected": 0, "pending": 0}
    fee = 25 + (1500 * 100 + 5000) // 10_000  # the product's fee: 0.25 + 1 %
    assert batch["totals"] == [{"currency": "EUR", "paid": 3 * 1500, "fees": 3 * fee}]
    # Through the order path: the order's own request, keyed by batch and line, card tokenized.
    keys = sorted(s.idempotency_key for s in api.intake.submitted)
    assert keys == [line_idempotency_key(batch["id"], n) for n in (1, 3, 5)]
    assert all(s.batch and s.batch.batch_id == batch["id"] and s.recipient.card_token for s in api.intake.submitted)
    assert CARD not in r.text and "4111111111111112" not in r.text

    lines = (await api.client.get(f"/v1/batches/{batch['id']}/lines")).json()["data"]
    assert [(x["line"], x["status"]) for x in lines] == [
        (1, "completed"), (2, "rejected_line"), (3, "completed"), (4, "rejected_line"), (5, "completed")]
    assert lines[0]["order_id"].startswith("ord_") and lines[0]["amount"] == {"value": 1500, "currency": "EUR"}
    assert lines[0]["external_id"] == "ext-1" and lines[1]["external_id"] == "ext-2"
    assert [e["pointer"] for e in lines[1]["errors"]] == ["/recipient/card_number"]
    assert lines[3]["errors"] == [{"pointer": "/amount/value", "code": "outside-catalog",
                                   "message": "amount too large: the maximum is 10000.00 EUR"}]  # fmt: skip
    assert lines[1]["order_id"] is None and lines[1]["amount"] is None


CSV_TEXT = (
    "\ufeffEnd_User_ID,amount,currency,product_id,card_number,phone,external_id\r\n"
    f'u-1,10.50,EUR,card-transfer-eur,"{card_number(1)}",,"ext-1"\r\n'
    "\r\n"  # blank: skipped, not numbered
    'u-2,12,EUR,topup-de,,"+4915112345678",ext-2\r\n'
    f'u-3,"7.5",EUR,card-transfer-eur,{card_number(3)},,"ext,3"\r\n'  # a quoted comma: not an id
    f"u-4,10.505,EUR,card-transfer-eur,{card_number(4)},,ext-4\r\n"  # 3 decimals in EUR
    f",10,EUR,card-transfer-eur,{card_number(5)},,ext-5\r\n"  # no end user
    f"u-6,10,EUR,card-transfer-eur,{card_number(6)},+4915112345678,ext-6\r\n"  # two recipients
)


async def test_a_csv_batch_reads_like_the_json_one(api: ApiHarness) -> None:
    _completing(api)
    r = await _post_csv(api, CSV_TEXT, reference="march")
    assert r.status_code == 202, r.text
    batch = r.json()
    assert (batch["format"], batch["total_lines"], batch["accepted_lines"], batch["reference"]) == ("csv", 6, 2, "march")
    by_line = {s.batch.line: s for s in api.intake.submitted if s.batch}
    assert sorted(by_line) == [1, 2]
    assert by_line[1].amount.value == 1050 and by_line[2].amount.value == 1200 and by_line[2].recipient.phone
    lines = {x["line"]: x for x in (await api.client.get(f"/v1/batches/{batch['id']}/lines")).json()["data"]}
    assert [e["pointer"] for e in lines[3]["errors"]] == ["external_id"] and lines[3]["external_id"] is None
    assert lines[4]["errors"] == [{"pointer": "amount", "code": "invalid", "message": "too many decimals: EUR has 2"}]
    assert [e["pointer"] for e in lines[5]["errors"]] == ["end_user_id"]
    assert [e["pointer"] for e in lines[6]["errors"]] == ["recipient"]


async def test_an_order_outside_the_catalog_is_a_line_error_naming_its_column(api: ApiHarness) -> None:
    text = (
        "product_id,amount,currency,email,end_user_id\n"
        "no-such-product,10,EUR,a@b.test,u-1\n"
        "card-transfer-eur,10,EUR,a@b.test,u-2\n"  # a card transfer pays to a card
        "virtual-card-eur,1,EUR,a@b.test,u-3\n"  # below the minimum of 5.00
    )
    batch = (await _post_csv(api, text)).json()
    lines = (await api.client.get(f"/v1/batches/{batch['id']}/lines")).json()["data"]
    assert [(x["errors"][0]["pointer"], x["errors"][0]["code"]) for x in lines] == [
        ("product_id", "outside-catalog"), ("recipient", "outside-catalog"), ("amount", "outside-catalog")]
    assert batch["status"] == "completed" and batch["accepted_lines"] == 0 and api.intake.submitted == []


async def test_a_replay_answers_the_same_batch_and_another_body_is_409(api: ApiHarness) -> None:
    lines = [_line(1), _line(2)]
    first = await _post_json(api, lines)
    again = await api.client.post(  # the same document in other whitespace and key order
        "/v1/batches", content=b'{ "lines" : ' + __import__("orjson").dumps(lines) + b"}",
        headers={"Idempotency-Key": "b-1", "Content-Type": "application/json"},
    )  # fmt: skip
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and len(api.intake.submitted) == 2  # nothing resubmitted
    writes = len(api.batches.header_writes)
    other = await _post_json(api, [_line(1), _line(3)])
    assert other.status_code == 409 and other.headers["content-type"] == PROBLEM
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert len(api.batches.header_writes) == writes and len(api.intake.submitted) == 2


async def test_the_same_key_in_another_company_is_another_batch(api: ApiHarness) -> None:
    mine = (await _post_json(api, [_line(1)])).json()
    theirs = await api.client.post(
        "/v1/batches", json={"lines": [_line(1)]}, headers={"Idempotency-Key": "b-1", "Authorization": f"Bearer {OTHER_KEY}"}
    )
    assert theirs.status_code == 202 and theirs.json()["id"] != mine["id"]


async def test_another_companys_batch_is_404_everywhere(api: ApiHarness) -> None:
    batch = (await _post_json(api, [_line(1)])).json()
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    for path in ("", "/lines", "/results.csv"):
        r = await api.client.get(f"/v1/batches/{batch['id']}{path}", headers=other)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, path
    assert (await api.client.get("/v1/batches", headers=other)).json()["data"] == []
    for bad in ("bat_" + "0" * 32, "x" * 300, CARD, "<script>"):
        r = await api.client.get(f"/v1/batches/{bad}")
        assert r.status_code == 404 and CARD not in r.text


async def test_every_line_bad_still_makes_a_completed_batch(api: ApiHarness) -> None:
    r = await _post_json(api, [{"nope": 1}, "a string", 7, [], _line(1, amount={"value": "10", "currency": "EUR"})])
    assert r.status_code == 202, r.text
    batch = r.json()
    assert (batch["status"], batch["accepted_lines"], batch["rejected_lines"]) == ("completed", 0, 5)
    assert batch["completed_at"] is not None and api.intake.submitted == []
    lines = (await api.client.get(f"/v1/batches/{batch['id']}/lines", params={"status": "rejected_line"})).json()
    assert [x["line"] for x in lines["data"]] == [1, 2, 3, 4, 5]
    assert lines["data"][1]["errors"][0]["code"] == "type"


async def test_results_csv_has_a_row_per_line_and_defuses_formulas(api: ApiHarness) -> None:
    _completing(api)
    batch = (await _post_json(api, [_line(1), _line(2, external_id="=HYPERLINK(1)"), _line(3, external_id="-5")])).json()
    r = await api.client.get(f"/v1/batches/{batch['id']}/results.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="{batch["id"]}-results.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["line", "external_id", "status", "order_id", "reason"]
    assert [row[:3] for row in rows[1:]] == [["1", "ext-1", "completed"], ["2", "", "rejected_line"], ["3", "'-5", "completed"]]
    assert rows[2][4].startswith("/external_id: ") and rows[1][3].startswith("ord_")


async def test_pages_of_lines_and_of_batches_follow_their_cursors(api: ApiHarness) -> None:
    batch = (await _post_json(api, [_line(n) for n in range(1, 8)])).json()
    seen, cursor = [], None
    while True:
        page = (await api.client.get(f"/v1/batches/{batch['id']}/lines", params={"limit": 3, **({"cursor": cursor} if cursor else {})})).json()
        seen += [x["line"] for x in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 8))
    for n in range(2, 5):
        await _post_json(api, [_line(n)], key=f"k-{n}")
    first = (await api.client.get("/v1/batches", params={"limit": 2})).json()
    second = (await api.client.get("/v1/batches", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    ids = [b["id"] for b in first["data"] + second["data"]]
    assert len(set(ids)) == 4 and second["next_cursor"] is None
    for params in ({"cursor": "AAAA"}, {"limit": 101}, {"limit": 0}, {"status": "teleported"}, {"x": "1"}):
        path = "/v1/batches" if "status" not in params else f"/v1/batches/{batch['id']}/lines"
        r = await api.client.get(path, params=params)
        assert r.status_code in (400, 422) and r.headers["content-type"] == PROBLEM, params


async def test_the_request_log_keeps_a_masked_capped_summary_of_a_csv_body(api: ApiHarness) -> None:
    rows = "".join(f"u-{n},10,EUR,card-transfer-eur,{card_number(n)}\n" for n in range(3000))
    r = await _post_csv(api, "end_user_id,amount,currency,product_id,card_number\n" + rows)
    assert r.status_code == 202, r.text
    [record] = [x for x in api.log.records if x.path == "/v1/batches"]
    assert len(record.request_body) < 5000 and "more" in record.request_body
    assert card_number(1) not in record.request_body and "411111******" in record.request_body


async def test_every_line_key_gets_exactly_one_order_across_concurrent_replays(api: ApiHarness) -> None:
    import asyncio

    lines = [_line(n) for n in range(1, 30)]
    answers = await asyncio.gather(*(_post_json(api, lines) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 200, 202]
    assert len({a.json()["id"] for a in answers}) == 1 and len(api.intake.orders) == 29


@pytest.mark.parametrize("count", [10_000])
async def test_ten_thousand_lines_are_taken(api: ApiHarness, count: int) -> None:
    text = "end_user_id,amount,currency,product_id,phone\n" + "".join(
        f"u-{n},5,EUR,topup-de,+49151{n:08d}\n" for n in range(count)
    )
    r = await _post_csv(api, text)
    assert r.status_code == 202 and r.json()["accepted_lines"] == count and len(api.intake.orders) == count
