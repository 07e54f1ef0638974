"""The ledger agent: single writer of every company's balances (its partition's owner).

Inputs (all keyed by company, co-partitioned): approved orders (`orders.decided`), payout
results (`payouts.results`) and balance commands (`balance.commands`). Each record is decoded,
handed to one domain function, and its outcome encoded; the transactional processor commits
outcomes, state and offsets together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from domain.events import events_for
from domain.ledger import Book, Entry, Hold, LowBalance
from domain.ledger_commands import apply_command
from domain.ledger_orders import OrderOutcome, reserve, settle
from domain.orders import Order, OrderStatus
from streams import ledger_messages as lm
from streams import messages
from streams.replies import CommandError, CommandReply, encode_reply
from streams.topics import (
    BALANCE_COMMANDS,
    BALANCES,
    COMMAND_REPLIES,
    LEDGER_ENTRIES,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    PARTNER_EVENTS,
    PAYOUTS_REQUESTED,
    PAYOUTS_RESULTS,
    TopicNames,
)
from streams.txn_processor import Output, PartitionState

log = logging.getLogger(__name__)


def _key(*parts: str) -> bytes:
    return "\x1f".join(parts).encode()


@dataclass(frozen=True, slots=True)
class LedgerState:
    """Typed access to the ledger's keys in one partition's state."""

    state: PartitionState

    def book(self, company_id: str) -> Book:
        raw = self.state.get(_key("book", company_id))
        return lm.decode_book(raw) if raw is not None else Book(company_id)

    def put_book(self, book: Book) -> None:
        self.state.put(_key("book", book.company_id), lm.encode_book(book))

    def hold(self, order_id: str) -> Hold | None:
        raw = self.state.get(_key("hold", order_id))
        return lm.decode_hold(raw) if raw is not None else None

    def put_hold(self, hold: Hold) -> None:
        self.state.put(_key("hold", hold.order_id), lm.encode_hold(hold))

    def end_user_total(self, company_id: str, currency: str, end_user: str, day: str) -> int:
        raw = self.state.get(_key("user", company_id, currency, end_user, day))
        return int(raw) if raw is not None else 0

    def add_end_user_total(self, company_id: str, currency: str, end_user: str, day: str, delta: int) -> None:
        total = self.end_user_total(company_id, currency, end_user, day) + delta
        self.state.put(_key("user", company_id, currency, end_user, day), str(total).encode())

    def command_reply(self, company_id: str, command_id: str) -> bytes | None:
        return self.state.get(_key("cmd", company_id, command_id))

    def put_command_reply(self, company_id: str, command_id: str, reply: bytes) -> None:
        self.state.put(_key("cmd", company_id, command_id), reply)


class LedgerHandler:
    def __init__(self, names: TopicNames) -> None:
        self._names = names
        self._decided = names(ORDERS_DECIDED)
        self._results = names(PAYOUTS_RESULTS)
        self._commands = names(BALANCE_COMMANDS)

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self._decided, self._results, self._commands)

    def __call__(self, state: PartitionState, record: ConsumerRecord) -> Sequence[Output]:
        at = datetime.fromtimestamp(record.timestamp / 1000, UTC)  # the record's, so replays match
        ledger = LedgerState(state)
        try:
            if record.topic == self._decided:
                return self._on_decided(ledger, record.value, at)
            if record.topic == self._results:
                return self._on_result(ledger, record.value, at)
            return self._on_command(ledger, record.value, at)
        except messages.MessageError as exc:
            log.warning("ledger skipped %s@%s/%s: %s", record.topic, record.partition, record.offset, exc)
            return ()

    def _on_decided(self, ledger: LedgerState, raw: bytes, at: datetime) -> list[Output]:
        order = messages.decode_order_event(raw).order
        if order.status is not OrderStatus.APPROVED:
            return []  # declined or in review: no money moves
        book = ledger.book(order.company_id)
        used = ledger.end_user_total(
            order.company_id, order.amount.currency, order.end_user.id, order.created_at.strftime("%Y-%m-%d")
        )
        outcome = reserve(book, ledger.hold(order.id), used, order, at)
        outputs = self._order_outcome(ledger, order, outcome)
        if outcome.order is not None and outcome.order.status is OrderStatus.RESERVED:
            outputs.append(self._out(PAYOUTS_REQUESTED, order.company_id, self._event(outcome.order, order)))
        return outputs

    def _on_result(self, ledger: LedgerState, raw: bytes, at: datetime) -> list[Output]:
        result = lm.decode_payout_result(raw)
        order = result.order
        book = ledger.book(order.company_id)
        outcome = settle(
            book, ledger.hold(order.id), order, result.paid, result.reason, at, result.delivery
        )
        return self._order_outcome(ledger, order, outcome)

    def _on_command(self, ledger: LedgerState, raw: bytes, at: datetime) -> list[Output]:
        envelope = lm.decode_command(raw)
        command = envelope.command
        company = command.company_id
        stored = ledger.command_reply(company, command.command_id)
        if stored is not None:
            # Applied before (a retry with the same key): answer the new request the same way.
            old = messages.loads(stored)
            reply = CommandReply(envelope.request_id, _error(old.get("error")), old.get("payload", {}))
            return [self._out(COMMAND_REPLIES, company, encode_reply(reply))]
        outcome = apply_command(ledger.book(company), command)
        outputs: list[Output] = []
        if outcome.error is not None:
            reply = CommandReply(envelope.request_id, CommandError.from_domain(outcome.error))
        else:
            ledger.put_book(outcome.book)
            outputs += self._book_outputs(outcome.book, outcome.entries, outcome.low_balance)
            account = outcome.book.account(command.currency)
            reply = CommandReply(envelope.request_id, payload={
                "book": lm.book_to_dict(outcome.book),
                "entry_ids": [e.entry_id for e in outcome.entries],
                "currency": command.currency,
                "available": account.available if account else 0,
            })  # fmt: skip
        ledger.put_command_reply(company, command.command_id, encode_reply(reply))
        outputs.append(self._out(COMMAND_REPLIES, company, encode_reply(reply)))
        return outputs

    def _order_outcome(self, ledger: LedgerState, before: Order, outcome: OrderOutcome) -> list[Output]:
        if outcome.hold is None or outcome.order is None:
            return []  # a duplicate: it was fully handled, outputs included, the first time
        ledger.put_hold(outcome.hold)
        ledger.put_book(outcome.book)
        if outcome.end_user_delta:
            h = outcome.hold
            ledger.add_end_user_total(h.company_id, h.currency, h.end_user_id, h.day, outcome.end_user_delta)
        outputs = [
            self._out(ORDERS_EVENTS, before.company_id, messages.encode_order_event(event))
            for event in events_for(outcome.order, since=before.version)
        ]
        return outputs + self._book_outputs(outcome.book, outcome.entries, outcome.low_balance)

    def _book_outputs(
        self, book: Book, entries: Sequence[Entry], low: LowBalance | None
    ) -> list[Output]:
        outputs = [self._out(LEDGER_ENTRIES, book.company_id, lm.encode_entry(e)) for e in entries]
        outputs.append(self._out(BALANCES, book.company_id, lm.encode_book(book)))
        if low is not None:
            outputs.append(self._out(PARTNER_EVENTS, book.company_id, lm.encode_low_balance(low)))
        return outputs

    def _event(self, order: Order, before: Order) -> bytes:
        return messages.encode_order_event(events_for(order, since=before.version)[-1])

    def _out(self, spec: object, company_id: str, value: bytes) -> Output:
        return Output(self._names(spec), company_id.encode(), value)  # type: ignore[arg-type]


def _error(raw: object) -> CommandError | None:
    if not isinstance(raw, dict):
        return None
    return CommandError(int(raw["status"]), raw["slug"], raw["title"], raw["detail"])
