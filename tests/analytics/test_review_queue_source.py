"""The review queue from `held_orders` (migration 0011) equals the straightforward query, the
orders whose latest version in `orders FINAL` is in_review: page after page, per company and
assignee, with orders held then approved, declined and paid out, versions arriving out of
order and replayed, an order whose metadata merely mentions in_review, and orders stored
before the migration (backfilled) as well as after (the materialized view). The queued
orders' decisions found by key are those found by id."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from analytics.clickhouse import ClickHouse
from analytics.fraud_repo import ClickHouseFraudReads
from analytics.fraud_rows import CASE_EVENT_COLUMNS, DECISION_COLUMNS, case_event_row, decision_row
from analytics.migrate import migrate
from analytics.rows import ORDER_COLUMNS, order_row
from domain.fraud import CaseEvent, CaseEventKind
from domain.fraud_views import QueueKey, QueueQuery
from domain.orders import Order, OrderStatus
from tests.analytics.before_migration import migrate_before
from tests.builders import T0
from tests.fraud_builders import M, decision, held_order, opened

COMPANIES = ("cmp_a", "cmp_b", "cmp_c")
ANALYSTS = ("stf_ann", "stf_bob")
AFTER_REVIEW = {
    OrderStatus.APPROVED: (OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED),
    OrderStatus.DECLINED: (),
}


def _versions(n: int, rnd: random.Random) -> list[Order]:
    """Every version of order n from its decision on (version 1 is never needed here)."""
    kind = rnd.random()
    company = COMPANIES[n % 3]
    if kind < 0.25:  # never held: approved and paid out
        o = held_order(n, company, OrderStatus.APPROVED)
        out = [o]
        for status in AFTER_REVIEW[OrderStatus.APPROVED]:
            out.append(out[-1].transition(status, "", out[-1].updated_at + M))
        return out
    o = held_order(n, company)
    if n % 17 == 0:  # ties on created_at with the previous order
        o = replace(o, created_at=T0 + (n - 1) * M)
    out = [o]
    if kind < 0.6:  # reviewed: approved (then paid out, perhaps not yet) or declined
        verdict = OrderStatus.APPROVED if rnd.random() < 0.6 else OrderStatus.DECLINED
        out.append(o.transition(verdict, "by analyst", o.updated_at + M))
        for status in AFTER_REVIEW[verdict][: rnd.randint(0, 3)]:
            out.append(out[-1].transition(status, "", out[-1].updated_at + M))
    return out


def _assigned(o: Order, analyst: str, minute: int) -> CaseEvent:
    case = f"case_{o.id}"
    return CaseEvent(f"{case}:assigned:{minute}", case, CaseEventKind.ASSIGNED, T0 + minute * M, "stf_lead",
                     o.company_id, o.id, "", analyst)  # fmt: skip


# The orders columns before migration 0012 (batches): what rows stored before 0011 had.
_BEFORE_BATCHES = tuple(c for c in ORDER_COLUMNS if c not in ("batch_id", "batch_line"))


async def _store(ch: ClickHouse, orders: list[list[Order]], rnd: random.Random, columns: tuple[str, ...] = ORDER_COLUMNS) -> None:
    rows = [tuple(v for c, v in zip(ORDER_COLUMNS, order_row(o)) if c in columns) for versions in orders for o in versions]
    rnd.shuffle(rows)  # versions arrive in any order, in several parts
    for part in (rows[: len(rows) // 3], rows[len(rows) // 3 :], rows[::4]):  # the last: replayed
        await ch.insert("orders", part, columns)
    firsts = [versions[0] for versions in orders]
    await ch.insert("decisions", [decision_row(decision(o)) for o in firsts], DECISION_COLUMNS)
    events = [opened(o) for o in firsts if o.status is OrderStatus.IN_REVIEW]
    events += [_assigned(o, ANALYSTS[i % 2], 1000 + i) for i, o in enumerate(firsts) if i % 4 == 1]
    events += [_assigned(o, ANALYSTS[0], 2000 + i) for i, o in enumerate(firsts) if i % 8 == 1]  # reassigned
    await ch.insert("fraud_case_events", [case_event_row(e) for e in events], CASE_EVENT_COLUMNS)


async def _oracle(ch: ClickHouse, q: QueueQuery) -> list[str]:
    """The straightforward query: orders FINAL, assignees from every case event FINAL."""
    where, params = ["status = 'in_review'"], {}
    if q.company_id is not None:
        where.append("company_id = {c:String}")
        params["c"] = q.company_id
    if q.assignee is not None:
        where.append(
            f"order_id IN (SELECT case_order FROM (SELECT any(order_id) AS case_order, argMax(text, (at, event_id)) "
            f"AS assignee FROM {ch.table('fraud_case_events')} FINAL WHERE kind = 'assigned' GROUP BY case_id) "
            "WHERE assignee = {a:String})"
        )
        params["a"] = q.assignee
    rows = await ch.query(
        f"SELECT order_id FROM {ch.table('orders')} FINAL WHERE {' AND '.join(where)} ORDER BY created_at, order_id",
        params,
    )
    return [r[0] for r in rows]


async def _paged(reads: ClickHouseFraudReads, q: QueueQuery, limit: int) -> list[str]:
    seen: list[str] = []
    key: QueueKey | None = None
    while True:
        page, key = await reads.queue(q, key, limit)
        seen += [o.order_id for o in page]
        decided = await reads.decisions_of(page)
        assert decided == await reads.decisions([o.order_id for o in page]) and len(decided) == len(page)
        if key is None:
            return seen
        assert len(page) == limit


QUERIES = [QueueQuery(), QueueQuery(company_id="cmp_b"), QueueQuery(assignee="stf_ann"),
           QueueQuery(company_id="cmp_a", assignee="stf_bob"), QueueQuery(company_id="x' OR 1=1 --")]  # fmt: skip


async def test_queue_equals_the_latest_state_of_orders_backfilled_and_live(clickhouse: ClickHouse,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    rnd = random.Random(11)
    orders = [_versions(n, rnd) for n in range(1, 121)]
    # Never held, but its metadata says in_review: not a held order.
    chatty = replace(held_order(200, "cmp_a", OrderStatus.APPROVED), metadata={"status": "in_review"})
    migrate_before(clickhouse, 11, tmp_path / "before")
    await _store(clickhouse, [*orders[:60], [chatty]], rnd, _BEFORE_BATCHES)  # before 0011: backfilled
    migrate(clickhouse)
    await _store(clickhouse, orders[60:], rnd)  # after: through the materialized view
    reads = ClickHouseFraudReads(clickhouse)
    for q in QUERIES:
        expected = await _oracle(clickhouse, q)
        assert await _paged(reads, q, 7) == expected, q
        assert await _paged(reads, q, 500) == expected, q
    assert len(await _oracle(clickhouse, QueueQuery())) > 20  # the data holds a queue worth paging


async def test_an_order_leaving_review_leaves_the_queue_in_any_arrival_order(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    reads = ClickHouseFraudReads(clickhouse)
    held = held_order(1)
    approved = held.transition(OrderStatus.APPROVED, "by analyst", held.updated_at + M)
    await clickhouse.insert("orders", [order_row(approved)], ORDER_COLUMNS)  # the later version first
    await clickhouse.insert("orders", [order_row(held)], ORDER_COLUMNS)
    assert (await reads.queue(QueueQuery(), None, 10))[0] == []
    await clickhouse.insert("orders", [order_row(held_order(2))], ORDER_COLUMNS)
    assert [o.order_id for o in (await reads.queue(QueueQuery(), None, 10))[0]] == [held_order(2).id]
