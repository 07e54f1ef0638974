"""The ledger handler without a broker: fees reach the entries, deliveries the completed order."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from domain.events import events_for
from domain.ledger import EntryKind
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.orders import OrderStatus
from streams import ledger_messages as lm
from streams import messages
from streams.ledger_agent import LedgerHandler
from streams.topics import (
    BALANCE_COMMANDS, LEDGER_ENTRIES, ORDERS_DECIDED, ORDERS_EVENTS, PAYOUTS_REQUESTED,
    PAYOUTS_RESULTS, TopicNames,
)  # fmt: skip
from streams.txn_processor import Output, PartitionState
from tests.builders import T0
from tests.domain.ledger_builders import approved_order

NAMES = TopicNames("t.")


def _record(topic: str, value: bytes, offset: int) -> ConsumerRecord:
    ms = int(T0.timestamp() * 1000)
    return ConsumerRecord(  # type: ignore[arg-type]
        NAMES(topic), 0, offset, ms, 0, b"cmp_a", value, None, 5, len(value), ()
    )


def _on(outputs: list[Output], spec: object) -> list[bytes]:
    return [o.value for o in outputs if o.topic == NAMES(spec)]  # type: ignore[arg-type]


def test_fee_is_reserved_captured_as_revenue_and_the_delivery_reaches_the_order() -> None:
    handler, state = LedgerHandler(NAMES), PartitionState(0)
    top_up = BalanceCommand("cmd-1", "cmp_a", CommandKind.TOP_UP, "EUR", "staff", T0, amount=5000)
    handler(state, _record(BALANCE_COMMANDS, lm.encode_command(lm.CommandEnvelope("r1", top_up)), 0))

    order = approved_order(amount=2500, fee=75)
    decided = handler(state, _record(ORDERS_DECIDED, messages.encode_order_event(events_for(order)[-1]), 1))
    [reserve] = [lm.decode_entry(v) for v in _on(list(decided), LEDGER_ENTRIES)]
    assert (reserve.kind, reserve.amount, reserve.available_after) == (EntryKind.RESERVE, 2575, 2425)
    [requested] = _on(list(decided), PAYOUTS_REQUESTED)
    reserved = messages.decode_order_event(requested).order
    assert reserved.fee == 75

    sent = reserved.transition(OrderStatus.DISPATCHED, "sent", T0)
    result = lm.PayoutResult(sent, True, "paid by gifts", delivery="k1.sealed-gift")
    settled = list(handler(state, _record(PAYOUTS_RESULTS, lm.encode_payout_result(result), 2)))
    entries = [lm.decode_entry(v) for v in _on(settled, LEDGER_ENTRIES)]
    assert [(e.kind, e.amount) for e in entries] == [(EntryKind.CAPTURE, 2500), (EntryKind.FEE, 75)]
    [completed] = [messages.decode_order_event(v).order for v in _on(settled, ORDERS_EVENTS)]
    assert completed.status is OrderStatus.COMPLETED and completed.delivery == "k1.sealed-gift"
    book = lm.decode_book(state.get("book\x1fcmp_a".encode()))
    account = book.account("EUR")
    assert account is not None and (account.available, account.reserved) == (2425, 0)

    # A redelivered result changes nothing: no second capture, no second fee.
    assert list(handler(state, _record(PAYOUTS_RESULTS, lm.encode_payout_result(result), 3))) == []
