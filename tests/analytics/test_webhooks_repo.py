"""The delivery log in ClickHouse: rows from the log topic, idempotent replays, listings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.webhook_rows import (
    WEBHOOK_ATTEMPT_COLUMNS, WEBHOOK_DELIVERY_COLUMNS, webhook_attempt_row, webhook_delivery_row,
)  # fmt: skip
from analytics.webhooks_repo import ClickHouseWebhookLog
from domain.ledger import LowBalance
from domain.webhook_events import low_balance_message
from domain.webhook_log import DeliveryQuery
from domain.webhooks import AttemptRecord, AttemptResult, DeliveryStatus, RetrySchedule, enqueue, record_attempt
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


SCHEDULE = RetrySchedule()
H = timedelta(hours=1)


def _history(company: str, hour: int, codes: list[int]) -> list[AttemptRecord]:
    """The log lines of one message: queued, then one attempt per status code."""
    message = low_balance_message(LowBalance(company, "EUR", 10, 100, T0 + hour * H))
    delivery = enqueue(message, T0 + hour * H, SCHEDULE)
    records = [AttemptRecord(delivery, delivery.enqueued_at)]
    for i, code in enumerate(codes, 1):
        at = T0 + hour * H + i * timedelta(seconds=10)
        delivery = record_attempt(delivery, AttemptResult(at, "https://p.test/h", code, 30), SCHEDULE)
        records.append(AttemptRecord(delivery, at, "https://p.test/h", code, 30, "" if code else "ConnectError"))
    return records


async def _store(ch: ClickHouse, records: list[AttemptRecord]) -> None:
    await ch.insert("webhook_attempts", [webhook_attempt_row(r) for r in records], WEBHOOK_ATTEMPT_COLUMNS)
    await ch.insert("webhook_deliveries", [webhook_delivery_row(r) for r in records], WEBHOOK_DELIVERY_COLUMNS)


async def test_listing_filters_paginates_and_survives_replayed_rows(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    histories = [
        _history("cmp_a", 0, [503, 200]),  # delivered
        _history("cmp_a", 1, [0]),  # retrying
        _history("cmp_a", 2, []),  # pending
        _history("cmp_b", 3, [200]),
        _history("cmp_a", 4, [500, 500, 500, 500, 500, 500, 500]),  # exhausted
    ]
    everything = [r for h in histories for r in h]
    await _store(clickhouse, everything)
    await _store(clickhouse, everything)  # the sink re-read its batch: nothing doubles
    log = ClickHouseWebhookLog(clickhouse)

    page, cursor = await log.page(DeliveryQuery(company_id="cmp_a"), None, limit=3)
    ids = [h[0].delivery.message.id for h in histories]
    assert [v.message.id for v in page] == [ids[4], ids[2], ids[1]]  # newest first
    assert [v.status for v in page] == [DeliveryStatus.EXHAUSTED, DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    assert page[0].attempts == 7 and page[0].last_response_status == 500 and page[0].url == "https://p.test/h"
    assert page[2].last_error == "ConnectError" and page[2].next_attempt_at is not None
    assert cursor is not None
    rest, end = await log.page(DeliveryQuery(company_id="cmp_a"), cursor, limit=3)
    assert [v.message.id for v in rest] == [ids[0]] and end is None
    assert rest[0].status is DeliveryStatus.DELIVERED and rest[0].message == histories[0][0].delivery.message

    delivered, _ = await log.page(DeliveryQuery(status=DeliveryStatus.DELIVERED), None, 10)
    assert {v.message.id for v in delivered} == {ids[0], ids[3]}
    window = DeliveryQuery(company_id="cmp_a", occurred_from=T0 + H, occurred_to=T0 + 4 * H)
    assert [v.message.id for v in (await log.page(window, None, 10))[0]] == [ids[2], ids[1]]
    assert await log.count(window) == 2

    found = await log.get(ids[0])
    assert found is not None and found.status is DeliveryStatus.DELIVERED
    assert await log.get("msg_unknown") is None
    attempts = await log.attempts("cmp_a", ids[0])
    assert [(a.attempt, a.status, a.response_status) for a in attempts] == [
        (0, DeliveryStatus.PENDING, 0), (1, DeliveryStatus.RETRYING, 503), (2, DeliveryStatus.DELIVERED, 200),
    ]


async def test_a_replay_round_supersedes_the_earlier_state(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    first = _history("cmp_a", 0, [500] * 7)
    exhausted = first[-1]
    replayed = enqueue(exhausted.delivery.message, T0 + 30 * H, SCHEDULE, "rpl_1")
    again = [AttemptRecord(replayed, replayed.enqueued_at)]
    done = record_attempt(replayed, AttemptResult(T0 + 30 * H, "https://p.test/h", 200, 5), SCHEDULE)
    again.append(AttemptRecord(done, T0 + 30 * H + timedelta(seconds=1), "https://p.test/h", 200, 5))
    await _store(clickhouse, first + again)
    view = await ClickHouseWebhookLog(clickhouse).get(exhausted.delivery.message.id)
    assert view is not None and (view.status, view.round, view.attempts) == (DeliveryStatus.DELIVERED, "rpl_1", 1)
    attempts = await ClickHouseWebhookLog(clickhouse).attempts("cmp_a", exhausted.delivery.message.id)
    assert len(attempts) == 8 + 2  # both rounds kept apart
    assert view.message == exhausted.delivery.message
