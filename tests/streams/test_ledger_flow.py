"""The ledger agent and sandbox settlement through the real broker (transactions included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaProducer

from domain.events import events_for
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.orders import OrderStatus
from streams import ledger_messages as lm
from streams import messages
from streams.admin import ensure_topics
from streams.ledger_agent import LedgerHandler
from streams.replies import decode_reply
from streams.settlement import Settlement, SettlementConfig, fails
from streams.topics import (
    BALANCE_COMMANDS, BALANCES, COMMAND_REPLIES, LEDGER_ENTRIES, LEDGER_STATE, ORDERS_DECIDED,
    ORDERS_EVENTS, PAYOUTS_REQUESTED, PAYOUTS_RESULTS, TopicNames,
)  # fmt: skip
from streams.txn_processor import ProcessorConfig, TransactionalProcessor
from tests.builders import T0
from tests.domain.ledger_builders import approved_order
from tests.streams.kafka_helpers import producer, read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 2


@dataclass
class Money:
    names: TopicNames
    bootstrap: str


def _ledger(bootstrap: str, names: TopicNames, prefix: str, worker: str) -> TransactionalProcessor:
    handler = LedgerHandler(names)
    return TransactionalProcessor(
        ProcessorConfig(bootstrap, f"{prefix}ledger", f"{prefix}ledger-{worker}",
                        handler.input_topics, names(LEDGER_STATE), retry_backoff_s=0.2),
        handler,
    )  # fmt: skip


@pytest.fixture
async def money(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[Money]:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    ledger = _ledger(kafka_bootstrap, names, topic_prefix, "w1")
    settlement = Settlement(SettlementConfig(
        kafka_bootstrap, f"{topic_prefix}settlement", names(PAYOUTS_REQUESTED),
        names(PAYOUTS_RESULTS), names(ORDERS_EVENTS), failure_share=0.3))  # fmt: skip
    tasks = [asyncio.create_task(ledger.run()), asyncio.create_task(settlement.run())]
    try:
        yield Money(names, kafka_bootstrap)
    finally:
        await ledger.stop()
        await settlement.stop()
        await asyncio.gather(*tasks)


async def _command(p: AIOKafkaProducer, names: TopicNames, n: int, kind: CommandKind, **fields: object) -> None:
    command = BalanceCommand(f"cmd-{n}", "cmp_a", kind, "EUR", "staff-1", T0, **fields)  # type: ignore[arg-type]
    envelope = lm.CommandEnvelope(f"req-{n}", command)
    await p.send_and_wait(names(BALANCE_COMMANDS), lm.encode_command(envelope), key=b"cmp_a")


async def test_top_up_then_orders_are_reserved_settled_and_booked_once(money: Money) -> None:
    names, bootstrap = money.names, money.bootstrap
    orders = [approved_order(n, amount=1000) for n in range(1, 9)]
    async with producer(bootstrap) as p:
        await _command(p, names, 1, CommandKind.TOP_UP, amount=5000, reference="wire")
        await _command(p, names, 1, CommandKind.TOP_UP, amount=5000, reference="wire")  # a retry
        # Topics are not ordered against each other: let the top-up land before the orders.
        await read_topic(bootstrap, names(COMMAND_REPLIES), PARTITIONS, 2)
        for order in orders + orders[:3]:  # three decided twice (an upstream redelivery)
            event = events_for(order)[-1]
            await p.send_and_wait(names(ORDERS_DECIDED), messages.encode_order_event(event), key=b"cmp_a")
        await _command(p, names, 2, CommandKind.ADJUST, amount=-1, reason="")  # refused: no reason

    replies = [decode_reply(r.value) for r in await read_topic(bootstrap, names(COMMAND_REPLIES), PARTITIONS, 3)]
    assert [(r.request_id, r.ok) for r in replies] == [("req-1", True), ("req-1", True), ("req-2", False)]
    assert replies[2].error is not None and replies[2].error.status == 422

    # 5000 EUR funds five 1000 EUR orders; three are rejected; 30% of payouts fail.
    def final_status(events: list) -> dict[str, OrderStatus]:
        latest: dict[str, tuple[int, OrderStatus]] = {}
        for r in events:
            e = messages.decode_order_event(r.value)
            if e.sequence > latest.get(e.order.id, (0, OrderStatus.RECEIVED))[0]:
                latest[e.order.id] = (e.sequence, e.order.status)
        return {k: v[1] for k, v in latest.items()}

    expected_paid = [o for o in orders[:5] if not fails(o.id, 0.3)]
    # received/approved come from intake (not here): ledger+settlement emit 2 or 3 per order
    events = await read_topic(bootstrap, names(ORDERS_EVENTS), PARTITIONS, 5 * 3 + 3)
    statuses = final_status(events)
    assert sorted(statuses.values()).count(OrderStatus.REJECTED) == 3
    assert {oid for oid, s in statuses.items() if s is OrderStatus.COMPLETED} == {o.id for o in expected_paid}
    assert all(statuses[o.id] in (OrderStatus.COMPLETED, OrderStatus.FAILED) for o in orders[:5])

    entries = [lm.decode_entry(r.value) for r in await read_topic(bootstrap, names(LEDGER_ENTRIES), PARTITIONS, 11)]
    ids = [e.entry_id for e in entries]
    assert len(ids) == len(set(ids)), "every entry exactly once (transactions, no duplicates)"
    assert sum(1 for e in entries if e.kind.value == "top_up") == 1
    assert sum(1 for e in entries if e.kind.value == "reserve") == 5

    books = [lm.decode_book(r.value) for r in await read_topic(bootstrap, names(BALANCES), PARTITIONS, 1)]
    account = books[-1].account("EUR")
    assert account is not None
    assert account.available == 5000 - 1000 * len(expected_paid) and account.reserved == 0


async def test_a_restarted_ledger_reloads_its_state(kafka_bootstrap: str, topic_prefix: str) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)

    async def run_ledger_until(replies: int, send: list[tuple[int, int]]) -> list:
        ledger = _ledger(kafka_bootstrap, names, topic_prefix, "w1")  # same id: a restart
        task = asyncio.create_task(ledger.run())
        try:
            async with producer(kafka_bootstrap) as p:
                for n, amount in send:
                    await _command(p, names, n, CommandKind.TOP_UP, amount=amount)
            records = await read_topic(kafka_bootstrap, names(COMMAND_REPLIES), PARTITIONS, replies)
            return [decode_reply(r.value) for r in records]
        finally:
            await ledger.stop()
            await task

    await run_ledger_until(1, [(1, 1500)])
    # The restarted ledger loads its state: the replayed command is answered from the stored
    # reply (not applied again) and a new one adds to the reloaded balance.
    replies = await run_ledger_until(3, [(1, 1500), (2, 500)])
    assert [r.payload["available"] for r in replies] == [1500, 1500, 2000]
