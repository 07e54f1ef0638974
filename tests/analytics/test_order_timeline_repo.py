"""One order's timeline against the embedded ClickHouse: rows of every source written as the
sink writes them (replayed copies included), read back by the repositories and merged by the
use case, sanitized, with nothing of another order; and the request viewer's lookups."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from analytics.clickhouse import ClickHouse
from analytics.fraud_cases_repo import ClickHouseCases
from analytics.fraud_repo import ClickHouseFraudReads
from analytics.fraud_rows import CASE_EVENT_COLUMNS, DECISION_COLUMNS, case_event_row, decision_row
from analytics.ledger_rows import LEDGER_ENTRY_COLUMNS, ledger_entry_row
from analytics.migrate import migrate
from analytics.order_timeline_repo import ClickHouseOrderTimeline
from analytics.read_lanes import ReadLanes
from analytics.reports.request_log import LOGGED_COLUMNS, ClickHouseRequestLog, logged_from_row
from analytics.rows import ORDER_COLUMNS, ORDER_EVENT_COLUMNS, REQUEST_LOG_COLUMNS, order_event_row, order_row, request_log_row
from analytics.webhook_rows import (
    WEBHOOK_ATTEMPT_COLUMNS, WEBHOOK_DELIVERY_COLUMNS, webhook_attempt_row, webhook_delivery_row, webhook_request_row,
)  # fmt: skip
from analytics.webhooks_repo import ClickHouseWebhookLog
from api.staff.order_timeline_schemas import LoggedRequestDetailOut, OrderDetailOut
from api.staff.order_timeline_service import OrderTimelines
from domain.errors import NotFound
from domain.events import OrderEvent, event_id_for
from domain.ledger import Entry, EntryKind, LedgerAccount
from providers.base import CallRecord
from streams.outbound_calls import outbound_record
from tests.builders import T0
from tests.timeline_builders import CLEAR_PAN, ORDER_ID, REQUEST_ID, SECRET, OrderStory, order_story


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


HOSTILE = ["x' OR 1=1 --", "ord_'; DROP TABLE orders; --", "{order_id:String}", "🙂\x00", "ord_" + "a" * 5000]


async def _store(ch: ClickHouse, story: OrderStory) -> None:
    other = story.other_orders[0]
    orders = [e.order for e in story.events] + [other]
    await ch.insert("orders", [order_row(o) for o in orders], ORDER_COLUMNS)
    await ch.insert("orders", [order_row(o) for o in orders[:2]], ORDER_COLUMNS)  # replayed old versions
    events = [*story.events, OrderEvent(event_id_for(other.id, 1), 1, other)]
    await ch.insert("order_events", [order_event_row(e) for e in events * 2], ORDER_EVENT_COLUMNS)
    await ch.insert("decisions", [decision_row(story.decision)] * 2, DECISION_COLUMNS)
    await ch.insert("fraud_case_events", [case_event_row(e) for e in story.case_events], CASE_EVENT_COLUMNS)
    foreign = Entry(f"{other.id}:reserve", other.company_id, "EUR", EntryKind.RESERVE, 10, LedgerAccount.AVAILABLE,
                    LedgerAccount.RESERVED, T0, other.id)  # fmt: skip
    await ch.insert("ledger_entries", [ledger_entry_row(e) for e in [*story.ledger, *story.ledger, foreign]],
                    LEDGER_ENTRY_COLUMNS)  # fmt: skip
    foreign_call = outbound_record(CallRecord("bank-a", "POST", "/bank-a/v1/transfers", other.id, 200, 5.0),
                                   other.company_id, T0 + timedelta(seconds=1), "03" * 16)  # fmt: skip
    webhook_rows = [webhook_request_row(r) for r in story.webhook_records]
    rows = [request_log_row(r) for r in [*story.requests, foreign_call]] + [r for r in webhook_rows if r]
    await ch.insert("request_log", rows, REQUEST_LOG_COLUMNS)
    await ch.insert("webhook_attempts", [webhook_attempt_row(r) for r in story.webhook_records], WEBHOOK_ATTEMPT_COLUMNS)
    await ch.insert("webhook_deliveries", [webhook_delivery_row(r) for r in story.webhook_records],
                    WEBHOOK_DELIVERY_COLUMNS)  # fmt: skip


@pytest.fixture
async def story(clickhouse: ClickHouse) -> OrderStory:
    migrate(clickhouse)
    s = order_story()
    await _store(clickhouse, s)
    return s


def _timelines(ch: ClickHouse) -> OrderTimelines:
    return OrderTimelines(ClickHouseOrderTimeline(ch), ClickHouseFraudReads(ch), ClickHouseCases(ch),
                          ClickHouseWebhookLog(ch), ClickHouseRequestLog(ch))  # fmt: skip


async def test_repository_reads_each_source_of_one_order(clickhouse: ClickHouse, story: OrderStory) -> None:
    repo = ClickHouseOrderTimeline(clickhouse)
    order = await repo.order(ORDER_ID)
    assert order is not None and order.transaction.status == "completed" and order.transaction.version == 6
    assert order.idempotency_key == "idem-story" and order.metadata == {"campaign": "spring"}
    assert order.transaction.fee_value == 50 and order.company_id == "cmp_a"
    events = await repo.status_events(order)
    assert [e.status for e in events] == ["received", "in_review", "approved", "reserved", "dispatched", "completed"]
    exchanges = await repo.exchanges(order)
    assert [(x.direction, x.request_id) for x in exchanges] == [("inbound", REQUEST_ID)] + [
        ("outbound", r.request_id) for r in story.requests[1:]
    ]
    ledger = await repo.ledger_entries(order)
    assert [(e.kind, e.amount) for e in ledger] == [("reserve", 2550), ("capture", 2500), ("fee", 50)]
    lane = await ClickHouseWebhookLog(clickhouse).for_lane("cmp_a", ORDER_ID, order.created_at)
    assert [d.message.event_type.value for d in lane] == ["order.in_review", "order.completed"]
    assert [d.attempts for d in lane] == [1, 2]


@pytest.mark.parametrize("order_id", ["ord_" + "0" * 32, "ord_" + "f" * 32, *HOSTILE])
async def test_unknown_and_hostile_order_ids_find_nothing(clickhouse: ClickHouse, story: OrderStory,
                                                          order_id: str) -> None:  # fmt: skip
    assert await ClickHouseOrderTimeline(clickhouse).order(order_id) is None
    with pytest.raises(NotFound):
        await _timelines(clickhouse).detail(order_id)


async def test_the_timeline_merges_every_source_in_time_order_sanitized(clickhouse: ClickHouse,
                                                                         story: OrderStory) -> None:  # fmt: skip
    detail = await _timelines(clickhouse).detail(ORDER_ID)
    out = OrderDetailOut.from_detail(detail).model_dump(mode="json", by_alias=True)
    kinds = [item["kind"] for item in out["timeline"]]
    assert kinds.count("status") == 6 and kinds.count("decision") == 1 and kinds.count("partner_request") == 1
    assert kinds.count("provider_call") == 2 and kinds.count("ledger_entry") == 3 and kinds.count("case_event") == 3
    assert kinds.count("webhook_attempt") == 5  # two queued, one delivered, one 500 then one delivered
    assert kinds[:4] == ["partner_request", "status", "status", "decision"]  # all at T0
    assert [item["at"] for item in out["timeline"]] == sorted(item["at"] for item in out["timeline"])
    decision = next(item for item in out["timeline"] if item["kind"] == "decision")
    assert decision["fired_rules"] == ["many_to_one@3"] and decision["shadow_rules"] == ["card_testing@1"]
    assert decision["top_features"] == [{"name": "distinct_users_24h", "value": 9.0},
                                        {"name": "amount_ratio", "value": 3.5}]  # fmt: skip
    assert out["decision"]["features"] == {"distinct_users_24h": 9.0, "amount_ratio": 3.5}
    assert out["order"]["status"] == "completed" and out["order"]["metadata"] == {"campaign": "spring"}
    assert [w["status"] for w in out["webhooks"]] == ["delivered", "delivered"]
    partner = next(item for item in out["timeline"] if item["kind"] == "partner_request")
    assert {"name": "authorization", "value": "[REDACTED]"} in partner["request_headers"]
    paid = [item for item in out["timeline"] if item["kind"] == "provider_call"][-1]
    assert paid["status"] == 200 and "GIFT-1" not in paid["response_body"]
    text = orjson.dumps(out).decode()
    assert CLEAR_PAN not in text and SECRET not in text and "supersecret" not in text
    assert "411111******1111" in text  # masked, not dropped


async def test_request_viewer_finds_inbound_outbound_and_webhook_rows(clickhouse: ClickHouse,
                                                                      story: OrderStory) -> None:  # fmt: skip
    timelines = _timelines(clickhouse)
    inbound = LoggedRequestDetailOut.from_view(await timelines.request(REQUEST_ID)).model_dump(mode="json")
    assert inbound["direction"] == "inbound" and inbound["stored"]["request_headers"]
    assert {"name": "x-note", "value": "411111******1111"} in inbound["request_headers"]
    call = story.requests[1].request_id
    outbound = LoggedRequestDetailOut.from_view(await timelines.request(call)).model_dump(mode="json")
    assert outbound["direction"] == "outbound" and outbound["error_type"] == "ReadTimeout"
    assert not outbound["stored"]["request_headers"] and outbound["notes"]
    attempt = story.webhook_records[-1].attempt_id
    webhook = LoggedRequestDetailOut.from_view(await timelines.request(attempt)).model_dump(mode="json")
    assert webhook["direction"] == "webhook" and not webhook["stored"]["request_body"]
    assert SECRET not in webhook["path"]  # the URL was stored without its query
    for out in (inbound, outbound, webhook):
        assert CLEAR_PAN not in orjson.dumps(out).decode() and SECRET not in orjson.dumps(out).decode()


@pytest.mark.parametrize(
    "request_id",
    ["f" * 32, "0" * 32, "msg_" + "0" * 32 + "::1", "..", "../../etc/passwd", "x" * 5000, *HOSTILE],
)
async def test_request_viewer_finds_nothing_for_unknown_or_hostile_ids(clickhouse: ClickHouse, story: OrderStory,
                                                                        request_id: str) -> None:  # fmt: skip
    with pytest.raises(NotFound):
        await _timelines(clickhouse).request(request_id)
    assert await ClickHouseRequestLog(clickhouse).get(request_id) is None


async def test_an_order_created_far_from_its_ids_time_is_still_found(clickhouse: ClickHouse,
                                                                     story: OrderStory) -> None:  # fmt: skip
    """The id's time only narrows the first read: an order stored outside that window (none is
    written so) is found by its id alone, newest version first."""
    made = int((T0 - timedelta(days=40)).timestamp() * 1000)
    order_id = f"ord_{made:012x}" + "cd" * 10
    versions = [replace(e.order, id=order_id) for e in story.events]
    await clickhouse.insert("orders", [order_row(o) for o in reversed(versions)], ORDER_COLUMNS)
    found = await ClickHouseOrderTimeline(clickhouse).order(order_id)
    assert found is not None and found.order_id == order_id and found.created_at == T0
    assert found.transaction.version == 6 and found.transaction.status == "completed"


async def test_the_key_reads_equal_the_reads_by_id(clickhouse: ClickHouse, story: OrderStory) -> None:
    """Differential: the order detail's reads by key (decision, case events and attempts since
    the order's creation, every attempt in one read) return what the reads by id alone return,
    replayed copies included; and nothing for another company or a later start."""
    fraud, cases, log = ClickHouseFraudReads(clickhouse), ClickHouseCases(clickhouse), ClickHouseWebhookLog(clickhouse)
    order = await ClickHouseOrderTimeline(clickhouse).order(ORDER_ID)
    assert order is not None
    by_key = await fraud.decision_of(order.company_id, ORDER_ID, order.created_at)
    assert by_key is not None and by_key == await fraud.decision(ORDER_ID)
    assert await fraud.decision_of("cmp_other", ORDER_ID, order.created_at) is None
    case = f"case_{ORDER_ID}"
    assert await cases.events(case, order.created_at - timedelta(minutes=1)) == await cases.events(case)
    assert len(await cases.events(case)) == 3
    lane = await log.for_lane(order.company_id, ORDER_ID, order.created_at)
    ids = [d.message.id for d in lane]
    since = min(d.message.occurred_at for d in lane)
    together = await log.attempts_of(order.company_id, ids, since)
    assert together == {m: await log.attempts(order.company_id, m) for m in ids}
    assert sum(map(len, together.values())) == 5
    assert await log.attempts_of("cmp_other", ids, since) == {}
    assert await log.attempts_of(order.company_id, ids, since + timedelta(days=400)) == {}
    assert await log.attempts_of(order.company_id, []) == {}


async def test_the_request_viewer_reads_the_same_row_as_the_company_sorted_log(clickhouse: ClickHouse,
                                                                              story: OrderStory) -> None:  # fmt: skip
    """A 32-hex id is read from request_log_by_time; the row is request_log's (FINAL), replayed
    copies included."""
    record = story.requests[1]
    await clickhouse.insert("request_log", [request_log_row(record)], REQUEST_LOG_COLUMNS)  # a replayed copy
    log = ClickHouseRequestLog(clickhouse)
    for request_id in (REQUEST_ID, record.request_id):
        found = await log.get(request_id)
        rows = await clickhouse.query(
            f"SELECT {LOGGED_COLUMNS} FROM {clickhouse.table('request_log')} FINAL WHERE request_id = {{r:String}}",
            {"r": request_id},
        )
        assert found is not None and len(rows) == 1 and found == logged_from_row(rows[0])


async def test_the_detail_on_read_lanes_equals_the_detail_on_the_connection(
    clickhouse: ClickHouse, clickhouse_dsn: str, story: OrderStory
) -> None:
    """`quadra up` reads the order detail on the read lanes (quadra/order_detail_roles.py)."""
    lanes = ReadLanes.connect(clickhouse_dsn, clickhouse.database, 2)
    try:
        on_lanes = OrderTimelines(ClickHouseOrderTimeline(lanes), ClickHouseFraudReads(lanes), ClickHouseCases(lanes),
                                  ClickHouseWebhookLog(lanes), ClickHouseRequestLog(lanes))  # fmt: skip
        assert await on_lanes.detail(ORDER_ID) == await _timelines(clickhouse).detail(ORDER_ID)
        assert await on_lanes.request(REQUEST_ID) == await _timelines(clickhouse).request(REQUEST_ID)
    finally:
        lanes.close()
