"""The intake agent: idempotent admission and the fraud decision for every order request.

It runs on the transactional processor (streams/txn_processor.py), like the ledger: the
idempotency entry, the order events, the decided order, the reply and the input offset are
committed together. (On Faust's at-least-once tables, the crash test lost requests when a
worker was killed during a rebalance: their offsets were committed without their outputs.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka import ConsumerRecord

from domain.intake import Decide, admit, idempotency_scope
from domain.orders import OrderStatus
from streams import messages
from streams.topics import INTAKE_REPLIES, ORDERS_DECIDED, ORDERS_EVENTS, ORDERS_REQUESTED, TopicNames
from streams.txn_processor import Output, PartitionState

log = logging.getLogger(__name__)


class IntakeHandler:
    def __init__(self, names: TopicNames, decide: Decide) -> None:
        self._decide = decide
        self._requested = names(ORDERS_REQUESTED)
        self._events = names(ORDERS_EVENTS)
        self._decided = names(ORDERS_DECIDED)
        self._replies = names(INTAKE_REPLIES)

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self._requested,)

    def __call__(self, state: PartitionState, record: ConsumerRecord) -> Sequence[Output]:
        """Decode one order request, admit it, store the entry, emit events and the reply."""
        try:
            request = messages.decode_order_request(record.value)
        except messages.MessageError as exc:
            log.warning("skipping undecodable order request at %s/%s: %s",
                        record.partition, record.offset, exc)  # fmt: skip
            return ()
        scope = idempotency_scope(request.company_id, request.idempotency_key).encode()
        stored = state.get(scope)
        existing = messages.decode_intake_entry(stored) if stored is not None else None
        result = admit(request, existing, self._decide)
        if result.entry is not None:
            state.put(scope, messages.encode_intake_entry(result.entry))

        key = request.company_id.encode()
        outputs: list[Output] = []
        for event in result.events:
            encoded = messages.encode_order_event(event)
            outputs.append(Output(self._events, key, encoded))
            if event.order.status is not OrderStatus.RECEIVED:
                outputs.append(Output(self._decided, key, encoded))
        reply = messages.IntakeReply(request.request_id, result.admission, result.order)
        outputs.append(Output(self._replies, key, messages.encode_intake_reply(reply)))
        return outputs
