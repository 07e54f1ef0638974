"""The intake agent: idempotent admission and the fraud decision for every order request, and
analysts' review commands on those orders.

It runs on the transactional processor (streams/txn_processor.py), like the ledger: the
idempotency entry, the order events, the decided order, the fraud facts and decision, the
reply and the input offset are committed together. (On Faust's at-least-once tables, the crash
test lost requests when a worker was killed during a rebalance: their offsets were committed
without their outputs.)

Requests are handled a partition's batch at a time, so the fraud check scores every new order
of the batch in one model call. Each partition's feature state is derived from its committed
`fraud.facts` (see streams/fraud_facts.py) and rebuilt whenever the partition is (re)loaded.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from aiokafka import ConsumerRecord

from detectors.features import FeatureState, OrderFacts
from domain.fraud import Assessment, opened_for_review
from domain.intake import Decision, admit, idempotency_scope, received_order
from domain.orders import Order, OrderRequest, OrderStatus
from streams import fraud_messages as fm
from streams import messages
from streams.fraud_facts import FeatureReplay, replay_facts
from streams.review_desk import ReviewDesk
from streams.topics import (
    FRAUD_CASES,
    FRAUD_DECISIONS,
    FRAUD_FACTS,
    FRAUD_REVIEWS,
    INTAKE_REPLIES,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    ORDERS_REQUESTED,
    TopicNames,
)
from streams.txn_processor import Output, PartitionState

log = logging.getLogger(__name__)
_REPLAY_BATCH = 10_000  # order facts per feature-state call when a partition is rebuilt


class FraudCheck(Protocol):
    """Assesses new orders in time order, feeding each one's facts to the feature state."""

    @property
    def label_delay(self) -> int: ...

    @property
    def horizon_s(self) -> int: ...

    def assess(self, features: FeatureState, orders: Sequence[Order]) -> Sequence[tuple[OrderFacts, Assessment]]: ...


class IntakeHandler:
    def __init__(self, names: TopicNames, check: FraudCheck, bootstrap: str = "") -> None:
        self._check = check
        self._bootstrap = bootstrap  # where `restore` reads fraud.facts; "" = start empty (unit tests)
        self._requested = names(ORDERS_REQUESTED)
        self._reviews = names(FRAUD_REVIEWS)
        self._events = names(ORDERS_EVENTS)
        self._decided = names(ORDERS_DECIDED)
        self._replies = names(INTAKE_REPLIES)
        self._facts = names(FRAUD_FACTS)
        self._decisions = names(FRAUD_DECISIONS)
        self._cases = names(FRAUD_CASES)
        self._desk = ReviewDesk(names)

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self._requested, self._reviews)

    async def restore(self, states: Mapping[int, PartitionState]) -> None:
        """Rebuild each partition's feature state from its committed facts."""
        for state in states.values():
            state.derived = FeatureState(self._check.label_delay)
        if not self._bootstrap or not states:
            return

        replays = {p: FeatureReplay(state.derived, _REPLAY_BATCH) for p, state in states.items()}

        def feed(partition: int, fact: OrderFacts | fm.LabelFact) -> None:
            replays[partition].feed(fact)

        fed = await replay_facts(self._bootstrap, self._facts, states, self._check.horizon_s, feed)
        for partition, replay in replays.items():
            replay.finish()
            if replay.repeated or replay.clamped:
                # What only a double processing writes (see streams/fraud_facts.py): worth a look.
                log.warning("intake: partition %d's facts held %d repeated orders (skipped) and %d "
                            "behind their company's clock (fed at it)", partition, replay.repeated,
                            replay.clamped)  # fmt: skip
        # The rebuilt state is long-lived: out of the collector's way, full collections stop
        # walking it and scoring's latency loses their pauses (reference counting still frees
        # a dropped partition's state: it holds no cycles).
        gc.freeze()
        log.info("intake: feature state of partitions %s rebuilt from %d facts", sorted(states), fed)

    def handle_batch(self, state: PartitionState, records: Sequence[ConsumerRecord]) -> list[Output]:
        if state.derived is None:
            state.derived = FeatureState(self._check.label_delay)
        if records and records[0].topic == self._reviews:
            return [out for record in records for out in self._desk.handle(state, record, self._facts)]
        return self._requests(state, records)

    def __call__(self, state: PartitionState, record: ConsumerRecord) -> list[Output]:
        return self.handle_batch(state, [record])

    def _requests(self, state: PartitionState, records: Sequence[ConsumerRecord]) -> list[Output]:
        requests: list[tuple[ConsumerRecord, OrderRequest]] = []
        for record in records:
            try:
                requests.append((record, messages.decode_order_request(record.value)))
            except messages.MessageError as exc:
                log.warning("skipping undecodable order request at %s/%s: %s",
                            record.partition, record.offset, exc)  # fmt: skip
        outputs: list[Output] = []
        decisions = self._assess_new(state, requests, outputs)
        for record, request in requests:
            outputs += self._admit(state, request, decisions)
        return outputs

    def _assess_new(
        self, state: PartitionState, requests: list[tuple[ConsumerRecord, OrderRequest]], outputs: list[Output]
    ) -> dict[str, Decision]:
        """One fraud check for the batch's new orders: a key seen before (or earlier in this
        batch) creates nothing, so it feeds no features."""
        fresh: list[Order] = []
        seen: set[bytes] = set()
        for _, request in requests:
            scope = idempotency_scope(request.company_id, request.idempotency_key).encode()
            if scope not in seen and state.get(scope) is None:
                fresh.append(received_order(request))
            seen.add(scope)
        decisions: dict[str, Decision] = {}
        for order, (facts, assessment) in zip(fresh, self._check.assess(state.derived, fresh)):
            decisions[order.id] = Decision(assessment.status, assessment.reason, assessment)
            key = order.company_id.encode()
            outputs.append(Output(self._facts, key, fm.encode_order_facts(facts), state.partition))
            outputs.append(Output(self._decisions, key, fm.encode_decision(order, assessment)))
            if assessment.status is OrderStatus.IN_REVIEW:
                outputs.append(Output(self._cases, key, fm.encode_case_event(opened_for_review(order, assessment))))
        return decisions

    def _admit(self, state: PartitionState, request: OrderRequest, decisions: dict[str, Decision]) -> list[Output]:
        scope = idempotency_scope(request.company_id, request.idempotency_key).encode()
        stored = state.get(scope)
        existing = messages.decode_intake_entry(stored) if stored is not None else None
        result = admit(request, existing, lambda order: decisions[order.id])
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
