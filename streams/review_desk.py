"""Analysts' review commands, executed by the intake that owns the order's company partition.

The intake holds each order's idempotency entry, so it is the single writer that can move an
order out of review: approve sends it on to the ledger, decline ends it. A decline or a later
fraud confirmation labels the order for the features (after the label delay), tells the
partner (`fraud.suspected`) and, when asked, blocks the end user and the recipient (list
entries on the compacted lists topic). Everything, including the reply to the waiting staff
API, is committed in the intake's transaction.
"""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord

from detectors.features import FeatureState
from domain.errors import DomainError, NotFound
from domain.events import events_for
from domain.fraud import ReviewCommand, resolved_by_review, review_order
from domain.intake import IntakeEntry, idempotency_scope
from domain.orders import Order
from streams import fraud_messages as fm
from streams import messages
from streams.fraud_lists import block_entries, encode_list_entry
from streams.replies import CommandError, CommandReply, encode_reply
from streams.topics import (
    COMMAND_REPLIES,
    FRAUD_CASES,
    FRAUD_LISTS,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    PARTNER_EVENTS,
    TopicNames,
)
from streams.txn_processor import Output, PartitionState

log = logging.getLogger(__name__)
_DONE = b"review\x1f"  # + command id → the reply already given (a retried command answers the same)


class ReviewDesk:
    def __init__(self, names: TopicNames) -> None:
        self._events = names(ORDERS_EVENTS)
        self._decided = names(ORDERS_DECIDED)
        self._partner = names(PARTNER_EVENTS)
        self._lists = names(FRAUD_LISTS)
        self._replies = names(COMMAND_REPLIES)
        self._cases = names(FRAUD_CASES)

    def handle(self, state: PartitionState, record: ConsumerRecord, facts_topic: str) -> list[Output]:
        try:
            command = fm.decode_review(record.value)
        except messages.MessageError as exc:
            log.warning("skipping undecodable review at %s/%s: %s", record.partition, record.offset, exc)
            return []
        key = command.company_id.encode()
        done = state.get(_DONE + command.command_id.encode())
        if done is not None:
            return [Output(self._replies, key, done)]
        outputs: list[Output] = []
        try:
            payload = self._apply(state, command, facts_topic, outputs)
            reply = CommandReply(command.command_id, payload=payload)
        except DomainError as error:
            outputs = []
            reply = CommandReply(command.command_id, CommandError.from_domain(error))
        encoded = encode_reply(reply)
        state.put(_DONE + command.command_id.encode(), encoded)
        outputs.append(Output(self._replies, key, encoded))
        return outputs

    def _apply(self, state: PartitionState, command: ReviewCommand, facts_topic: str, outputs: list[Output]) -> dict[str, str]:
        scope = idempotency_scope(command.company_id, command.idempotency_key).encode()
        stored = state.get(scope)
        entry = messages.decode_intake_entry(stored) if stored is not None else None
        if entry is None or entry.order.id != command.order_id:
            raise NotFound(f"order {command.order_id} not found")
        order, report = review_order(entry.order, command)
        key = command.company_id.encode()
        if order is not entry.order:
            state.put(scope, messages.encode_intake_entry(IntakeEntry(entry.request_id, entry.body_hash, order)))
            for event in events_for(order, since=entry.order.version):
                encoded = messages.encode_order_event(event)
                outputs += [Output(self._events, key, encoded), Output(self._decided, key, encoded)]
            outputs.append(Output(self._cases, key, fm.encode_case_event(resolved_by_review(order, command))))
        if report is not None:
            outputs.append(Output(self._partner, key, fm.encode_fraud_report(report)))
            outputs.append(self._label(state, order, facts_topic))
            if command.block:
                for blocked in block_entries(order, command):
                    outputs.append(Output(self._lists, blocked.key.encode(), encode_list_entry(blocked), 0))
        if order is entry.order:
            # Fraud confirmed on an order already past intake: its status is the ledger's and
            # dispatch's to tell (the intake's entry holds the decided version only).
            return {"order_id": order.id}
        return {"order_id": order.id, "status": order.status.value}

    @staticmethod
    def _label(state: PartitionState, order: Order, facts_topic: str) -> Output:
        """Fraud confirmed: the features learn it (once the label delay has passed)."""
        at = int(order.created_at.timestamp())
        features: FeatureState = state.derived
        features.company(order.company_id).label(order.id, at, 1)
        label = fm.LabelFact(order.company_id, order.id, at, 1)
        return Output(facts_topic, order.company_id.encode(), fm.encode_label(label), state.partition)
