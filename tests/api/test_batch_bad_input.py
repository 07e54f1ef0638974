"""POST /v1/batches refuses a body that is no batch with a clear 4xx problem and writes nothing;
a batch whose request dies half way is completed by its retry, and nothing is paid twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api import errors
from api.batch_service import BatchService
from api.batch_upload import BatchUpload
from domain.companies import api_key_record
from tests.api.batch_fakes import DyingIntake, InMemoryBatches
from tests.api.conftest import MAX_BATCH_BODY, ApiHarness
from tests.builders import card_number, order_body

PROBLEM = "application/problem+json"
CARD = "4111111111111111"
HEADER = "product_id,amount,currency,card_number,end_user_id\n"


def _csv_row(n: int) -> str:
    return f"card-transfer-eur,10,EUR,{card_number(n)},u-{n}\n"


# (content type, body, status, problem type)
REFUSED = [
    ("application/json", b"{not json", 400, "malformed-json"),
    ("application/json", b"", 400, "malformed-json"),
    ("application/json", b"[]", 422, "validation-failed"),
    ("application/json", b'{"lines": {}}', 422, "validation-failed"),
    ("application/json", b'{"lines": []}', 422, "validation-failed"),
    ("application/json", b'{"lines": [{}], "colour": 1}', 422, "validation-failed"),
    ("application/json", b'{"lines": [{}], "reference": "<script>"}', 422, "validation-failed"),
    ("application/json", b'{"lines": [{}], "reference": "' + CARD.encode() + b'"}', 422, "validation-failed"),
    ("application/json", b'{"lines": [{}], "reference": 7}', 422, "validation-failed"),
    ("application/json", b'{"lines": [' + b"{}," * 10_000 + b"{}]}", 413, "batch-too-large"),
    ("text/csv", b"", 422, "validation-failed"),
    ("text/csv", HEADER.encode(), 422, "validation-failed"),
    ("text/csv", b"product_id,amount,colour\n1,2,3\n", 422, "validation-failed"),
    ("text/csv", (HEADER + '"unclosed,10\n').encode(), 400, "malformed-csv"),
    ("text/csv", HEADER.encode() + b"\xff\xfe\n", 400, "malformed-csv"),
    ("text/csv", (HEADER + _csv_row(1) * 10_001).encode(), 413, "batch-too-large"),
    ("text/plain", b"anything", 415, "unsupported-media-type"),
    ("multipart/form-data; boundary=x", b"--x--", 415, "unsupported-media-type"),
    ("", b"{}", 415, "unsupported-media-type"),
]  # fmt: skip


@pytest.mark.parametrize(("media", "body", "status", "slug"), REFUSED, ids=lambda v: str(v)[:30])
async def test_a_body_that_is_no_batch_is_a_problem_and_nothing_is_written(
    api: ApiHarness, media: str, body: bytes, status: int, slug: str
) -> None:
    r = await api.client.post("/v1/batches", content=body, headers={"Idempotency-Key": "x-1", "Content-Type": media})
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == PROBLEM and r.json()["type"].endswith("/" + slug)
    assert CARD not in r.text and "<script>" not in r.text
    assert not api.batches.written and api.intake.submitted == []


async def test_a_body_over_the_batch_limit_is_413_before_it_is_read(api: ApiHarness) -> None:
    big = (HEADER + "x" * (MAX_BATCH_BODY + 1)).encode()
    r = await api.client.post("/v1/batches", content=big, headers={"Idempotency-Key": "x-1", "Content-Type": "text/csv"})
    assert r.status_code == 413 and r.json()["type"].endswith("/payload-too-large")
    assert not api.batches.written
    # The batch route's limit is its own: the other routes keep theirs.
    orders = await api.client.post("/v1/orders", content=b"{" + b" " * 20_000 + b"}",
                                   headers={"Idempotency-Key": "x-2", "Content-Type": "application/json"})  # fmt: skip
    assert orders.status_code == 413


async def test_a_reference_must_be_an_identifier_and_only_one(api: ApiHarness) -> None:
    for params, media, body in (
        ({"reference": "' OR 1=1 --"}, "text/csv", HEADER + _csv_row(1)),
        ({"reference": "x" * 129}, "text/csv", HEADER + _csv_row(1)),
        ({"reference": "r-1"}, "application/json", '{"lines": [{}], "reference": "r-2"}'),
    ):
        r = await api.client.post("/v1/batches", content=body.encode(), params=params,
                                  headers={"Idempotency-Key": "x-1", "Content-Type": media})  # fmt: skip
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert not api.batches.written


@pytest.mark.parametrize("headers", [
    {}, {"Idempotency-Key": ""}, {"Idempotency-Key": "has space"}, {"Idempotency-Key": CARD},
    {"Idempotency-Key": "k", "Authorization": "Bearer nope"},
])  # fmt: skip
async def test_the_order_routes_header_rules_hold(api: ApiHarness, headers: dict[str, str]) -> None:
    r = await api.client.post("/v1/batches", json={"lines": [order_body()]}, headers=headers)
    assert r.status_code in (400, 401) and r.headers["content-type"] == PROBLEM and CARD not in r.text
    assert not api.batches.written and api.intake.submitted == []


async def test_hostile_lines_are_refused_one_by_one_without_echo(api: ApiHarness) -> None:
    hostile = [
        order_body(external_id="<script>alert(1)</script>"),
        order_body(product_id="' OR 1=1 --"),
        order_body(end_user={"id": "x" * 100_000}),
        order_body(end_user={"id": CARD}),  # a card number in the wrong field
        order_body(metadata={CARD: "x"}),
        {**order_body(), CARD: 1},  # an unknown field named like a card number
        order_body(amount={"value": 10**30, "currency": "EUR"}),
        order_body(amount={"value": 10.5, "currency": "EUR"}),
    ]
    r = await api.client.post("/v1/batches", json={"lines": hostile}, headers={"Idempotency-Key": "h-1"})
    assert r.status_code == 202, r.text
    assert r.json()["rejected_lines"] == len(hostile) and api.intake.submitted == []
    lines = await api.client.get(f"/v1/batches/{r.json()['id']}/lines")
    assert CARD not in lines.text and "<script>" not in lines.text and "x" * 1000 not in lines.text
    assert all(x["errors"] for x in lines.json()["data"])


async def test_a_retry_completes_a_batch_whose_request_died_and_pays_each_line_once(api: ApiHarness) -> None:
    dying = DyingIntake(survive=3)
    batches = InMemoryBatches(dying)
    service = BatchService(api.batch_service._orders, dying, batches, batches, api.vault.keyed_hash,
                           reply_timeout_s=1.0, in_flight=2)  # fmt: skip
    key = api_key_record("qk_test_" + "A" * 43, "cmp_a", "A")
    upload = BatchUpload("text/csv", (HEADER + "".join(_csv_row(n) for n in range(1, 11))).encode())
    now = datetime.now(UTC)
    with pytest.raises(errors.Problem) as died:
        await service.create(key, "k-1", upload, "req-1", now)
    assert died.value.status == 503 and died.value.headers == {"Retry-After": "1"}
    [header] = batches.stored.values()
    assert header.submitted_at is None and 3 <= len(dying.orders) < 10  # version 1 only: not complete

    dying.survive = 100  # the broker is back; the client retries with the same key and body
    retried = await service.create(key, "k-1", upload, "req-2", now)
    assert retried.http_status == 200 and retried.batch.header.id == header.id
    assert retried.batch.header.submitted_at is not None and retried.batch.header.accepted_lines == 10
    assert len(dying.orders) == 10  # one order per line, whatever was submitted twice
    lines = sorted(o.batch.line for o in dying.orders.values() if o.batch)
    assert lines == list(range(1, 11))
    assert retried.batch.progress.counts["pending"] == 10  # approved, not yet resting


async def test_a_line_whose_key_intake_refuses_as_a_conflict_becomes_a_rejected_line(api: ApiHarness) -> None:
    batch_id = api.batch_service.batch_id_for("cmp_a", "c-1")
    # Another body already holds the line's key (as a racing node with another batch would).
    taken = await api.client.post("/v1/orders", json=order_body(amount={"value": 1600, "currency": "EUR"}),
                                  headers={"Idempotency-Key": f"batch:{batch_id}:1"})  # fmt: skip
    assert taken.status_code == 201
    r = await api.client.post("/v1/batches", json={"lines": [order_body(), order_body(end_user={"id": "u-2"})]},
                              headers={"Idempotency-Key": "c-1"})  # fmt: skip
    assert r.status_code == 202 and r.json()["id"] == batch_id
    assert (r.json()["accepted_lines"], r.json()["rejected_lines"]) == (1, 1)
    lines = (await api.client.get(f"/v1/batches/{batch_id}/lines")).json()["data"]
    assert lines[0]["status"] == "rejected_line" and lines[0]["errors"][0]["code"] == "idempotency-key-reused"
    assert lines[1]["status"] == "approved"


async def test_another_node_before_the_sink_stored_the_header_pays_nothing_twice(api: ApiHarness) -> None:
    """The header is read from ClickHouse: within the sink's lag another node does not see it,
    submits the lines again, and intake answers them with the orders it already made."""
    other_node = BatchService(api.batch_service._orders, api.intake, api.batches, api.batches, api.vault.keyed_hash,
                              reply_timeout_s=1.0, visible_timeout_s=0.05)  # fmt: skip
    key = api_key_record("qk_test_" + "A" * 43, "cmp_a", "A")
    upload = BatchUpload("text/csv", (HEADER + "".join(_csv_row(n) for n in range(1, 6))).encode())
    first = await api.batch_service.create(key, "k-1", upload, "req-1", datetime.now(UTC))
    api.batches.visible = False
    again = await other_node.create(key, "k-1", upload, "req-2", datetime.now(UTC))
    assert again.batch.header.id == first.batch.header.id and len(api.intake.orders) == 5
    assert len(api.intake.submitted) == 10  # every line twice, each paid once
