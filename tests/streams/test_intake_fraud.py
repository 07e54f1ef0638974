"""The intake's fraud path without a broker: a partition batch is assessed once, its facts and
decisions go out with the orders, and analysts' review commands move held orders on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from aiokafka import ConsumerRecord

from detectors.engine import FraudEngine, Judges
from detectors.features import FEATURE_INDEX
from detectors.models.model import ModelKind, Thresholds, TrainedModel
from detectors.models.scorer import Scorer
from domain.fraud import ReviewAction, ReviewCommand
from domain.money import Money
from domain.orders import OrderStatus
from streams import fraud_messages as fm
from streams import messages
from streams.intake_agent import IntakeHandler
from streams.replies import decode_reply
from streams.topics import (
    COMMAND_REPLIES, FRAUD_CASES, FRAUD_DECISIONS, FRAUD_FACTS, FRAUD_LISTS, FRAUD_REVIEWS, ORDERS_DECIDED,
    ORDERS_REQUESTED, PARTNER_EVENTS, TopicNames,
)  # fmt: skip
from streams.txn_processor import Output, PartitionState
from tests.builders import T0, order_request

NAMES = TopicNames("t.")
_AMOUNT = FEATURE_INDEX["amount"]


@dataclass
class AmountRisk:
    """A fake estimator: the risk is the amount's share of 10,000 minor units."""

    calls: int = 0
    first_rows: int = 0  # rows of the first call: the batch's scores (later calls explain)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.first_rows = self.first_rows or len(x)
        risk = np.clip(x[:, 0] / 10_000, 0, 1)
        return np.column_stack([1 - risk, risk])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (x[:, 0] > 5_000).astype(int)


def engine(estimator: AmountRisk) -> FraudEngine:
    model = TrainedModel(ModelKind.SUPERVISED, estimator, ("amount",), Thresholds(0.5, 0.9), (1000.0,))
    judges = Judges(scorer=Scorer(model), model_version="m-test")
    return FraudEngine(lambda: judges)


def record(topic: str, offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(NAMES(topic), 0, offset, 0, 0, b"cmp_a", value, None, 0, len(value), [])  # type: ignore[arg-type]


def requests(*amounts: int, keys: Sequence[str] | None = None) -> list[ConsumerRecord]:
    keys = keys or [f"k{i}" for i in range(len(amounts))]
    return [
        record(ORDERS_REQUESTED, i, messages.encode_order_request(order_request(
            request_id=f"{i:032x}", idempotency_key=key, amount=Money(amount, "EUR"),
            received_at=T0 + timedelta(seconds=i), body_hash=f"h{key}",
        )))  # fmt: skip
        for i, (amount, key) in enumerate(zip(amounts, keys))
    ]


def on(outputs: Sequence[Output], spec: object) -> list[Output]:
    return [o for o in outputs if o.topic == NAMES(spec)]  # type: ignore[arg-type]


def review(action: ReviewAction, order_id: str, key: str, command_id: str = "c1", block: bool = False) -> ConsumerRecord:
    command = ReviewCommand(command_id, action, "cmp_a", order_id, key, "ana", "looks like a mule", block,
                            T0 + timedelta(hours=1))  # fmt: skip
    return record(FRAUD_REVIEWS, 0, fm.encode_review(command))


def test_a_batch_is_scored_in_one_call_and_each_new_order_once() -> None:
    estimator = AmountRisk()
    handler = IntakeHandler(NAMES, engine(estimator))
    state = PartitionState(0)
    # k0 twice in the batch (a retry): one order, one fact, one decision.
    out = handler.handle_batch(state, requests(1000, 6000, 9500, 1000, keys=["k0", "k1", "k2", "k0"]))
    assert estimator.first_rows == 3 and estimator.calls == 2  # scores, then reasons of the flagged
    decisions = [fm.decode_decision(o.value) for o in on(out, FRAUD_DECISIONS)]
    assert [d["outcome"] for d in decisions] == ["approved", "in_review", "declined"]
    assert decisions[1]["score"] == 0.6 and decisions[1]["model"] == "m-test"
    assert decisions[1]["features"]["amount"] == 6000
    facts = [fm.decode_fact(o.value) for o in on(out, FRAUD_FACTS)]
    assert len(facts) == 3 and all(o.partition == 0 for o in on(out, FRAUD_FACTS))
    assert [fm.decode_case_event(o.value).order_id for o in on(out, FRAUD_CASES)] == [decisions[1]["order_id"]]
    decided = [messages.decode_order_event(o.value).order.status for o in on(out, ORDERS_DECIDED)]
    assert decided == [OrderStatus.APPROVED, OrderStatus.IN_REVIEW, OrderStatus.DECLINED]

    # Delivered again (a crash before the commit): same answers, nothing new assessed or fed.
    again = handler.handle_batch(state, requests(1000, 6000, 9500, keys=["k0", "k1", "k2"]))
    assert estimator.calls == 2 and not on(again, FRAUD_FACTS) and not on(again, FRAUD_DECISIONS)


def test_the_features_see_earlier_orders_of_the_same_batch() -> None:
    handler = IntakeHandler(NAMES, engine(AmountRisk()))
    out = handler.handle_batch(PartitionState(0), requests(100, 200, 300))
    counts = [fm.decode_decision(o.value)["features"]["user_count_1h"] for o in on(out, FRAUD_DECISIONS)]
    assert counts == [0, 1, 2]


def test_an_analyst_approves_a_held_order_and_it_goes_on_to_the_ledger() -> None:
    handler = IntakeHandler(NAMES, engine(AmountRisk()))
    state = PartitionState(0)
    out = handler.handle_batch(state, requests(6000))
    held = messages.decode_order_event(on(out, ORDERS_DECIDED)[0].value).order
    result = handler.handle_batch(state, [review(ReviewAction.APPROVE, held.id, "k0")])
    [event] = [messages.decode_order_event(o.value) for o in on(result, ORDERS_DECIDED)]
    assert event.order.status is OrderStatus.APPROVED and event.sequence == 3
    assert "approved by analyst ana" in event.order.history[-1].reason
    assert decode_reply(on(result, COMMAND_REPLIES)[0].value).payload == {"order_id": held.id, "status": "approved"}
    assert not on(result, PARTNER_EVENTS)
    # The same command again answers the same and changes nothing; another is refused.
    repeat = handler.handle_batch(state, [review(ReviewAction.APPROVE, held.id, "k0")])
    assert len(repeat) == 1 and decode_reply(repeat[0].value).ok
    refused = handler.handle_batch(state, [review(ReviewAction.DECLINE, held.id, "k0", command_id="c2")])
    error = decode_reply(on(refused, COMMAND_REPLIES)[0].value).error
    assert error is not None and error.status == 409 and len(refused) == 1


def test_a_decline_labels_the_order_and_tells_the_partner() -> None:
    handler = IntakeHandler(NAMES, engine(AmountRisk()))
    state = PartitionState(0)
    held = messages.decode_order_event(on(handler.handle_batch(state, requests(6000)), ORDERS_DECIDED)[0].value).order
    out = handler.handle_batch(state, [review(ReviewAction.DECLINE, held.id, "k0")])
    assert messages.decode_order_event(on(out, ORDERS_DECIDED)[0].value).order.status is OrderStatus.DECLINED
    report = messages.loads(on(out, PARTNER_EVENTS)[0].value)
    assert report["type"] == "fraud.suspected" and report["order_id"] == held.id
    label = fm.decode_fact(on(out, FRAUD_FACTS)[0].value)
    assert isinstance(label, fm.LabelFact) and label.label == 1 and label.order_id == held.id
    assert state.derived.company("cmp_a").sizes()["labels"] == 1
    resolved = fm.decode_case_event(on(out, FRAUD_CASES)[0].value)
    assert resolved.kind.value == "resolved" and resolved.actor == "ana"


def test_a_review_of_an_unknown_order_is_not_found_and_changes_nothing() -> None:
    handler = IntakeHandler(NAMES, engine(AmountRisk()))
    state = PartitionState(0)
    handler.handle_batch(state, requests(6000))
    for order_id, key in (("ord_nope", "k0"), ("ord_x", "missing")):
        out = handler.handle_batch(state, [review(ReviewAction.DECLINE, order_id, key, command_id=order_id)])
        error = decode_reply(out[0].value).error
        assert len(out) == 1 and error is not None and error.status == 404
    assert handler.handle_batch(state, [record(FRAUD_REVIEWS, 9, b"{not json")]) == []


def test_fraud_confirmed_on_a_paid_order_reports_and_blocks_without_touching_the_order() -> None:
    handler = IntakeHandler(NAMES, engine(AmountRisk()))
    state = PartitionState(0)
    approved = messages.decode_order_event(on(handler.handle_batch(state, requests(1000)), ORDERS_DECIDED)[0].value).order
    out = handler.handle_batch(state, [review(ReviewAction.CONFIRM_FRAUD, approved.id, "k0", block=True)])
    assert not on(out, ORDERS_DECIDED) and not on(out, FRAUD_CASES)
    assert decode_reply(on(out, COMMAND_REPLIES)[0].value).payload == {"order_id": approved.id}
    assert messages.loads(on(out, PARTNER_EVENTS)[0].value)["blocked"] is True
    blocks = [json.loads(o.value) for o in on(out, FRAUD_LISTS)]
    assert sorted((b["kind"], b["scope"]) for b in blocks) == [("end_user", "cmp_a"), ("phone", None)]
    assert all(o.partition == 0 for o in on(out, FRAUD_LISTS))
