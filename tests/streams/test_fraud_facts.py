"""Replaying `fraud.facts` (streams/fraud_facts.py) against the live path, feature for feature:
a log with repeated orders (an unfenced double processing wrote them twice) and times going
back must rebuild exactly the state the live path built from the same orders, which admits an
order once and never feeds one before its company's clock."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest

from detectors.engine import FraudEngine, Judges, stream_facts
from detectors.features import FEATURE_INDEX, FeatureState, OrderFacts, facts_from_order
from domain.intake import received_order
from domain.money import Money
from domain.orders import EndUser, Order, Recipient, RecipientKind
from streams import fraud_messages as fm
from streams.fraud_facts import FeatureReplay
from tests.builders import T0, order_request

LABEL_DELAY = 600  # short, so labels mature inside the log and move the risk features
COMPANIES = ("cmp_a", "cmp_b")
Logged = tuple[Order, OrderFacts] | fm.LabelFact


def orders(seed: int, n: int) -> list[Order]:
    """Orders in log order, their times jittered back and forth (API nodes' clocks)."""
    r = random.Random(seed)
    out: list[Order] = []
    for i in range(n):
        at = T0 + timedelta(seconds=7 * i + r.randrange(-40, 40))
        out.append(received_order(order_request(
            request_id=f"{seed:08x}{i:024x}", company_id=r.choice(COMPANIES), idempotency_key=f"k{i}",
            amount=Money(r.randrange(100, 50_000), "EUR"), end_user=EndUser(f"u{r.randrange(6)}"),
            recipient=Recipient(RecipientKind.PHONE, phone=f"+491511234{r.randrange(8):04d}"), received_at=at,
        )))  # fmt: skip
    return out


def hostile_log(seed: int, n: int = 300) -> list[Logged]:
    """Orders with times out of order; runs of them logged again later (a double processing),
    some at their time, some at another (a zombie's clock); analysts' labels in between."""
    r = random.Random(seed + 1)
    log: list[Logged] = []
    for order in orders(seed, n):
        log.append((order, facts_from_order(order)))
        if r.random() < 0.08:
            start = r.randrange(len(log))
            for entry in log[start : start + r.randrange(1, 40)]:
                if isinstance(entry, tuple):
                    again, facts = entry
                    shift = r.choice((0, 0, -30, 500))
                    log.append((again, OrderFacts(**{**_fields(facts), "at": facts.at + shift})))
        if r.random() < 0.1:
            labelled = r.choice([e for e in log if isinstance(e, tuple)])[0]
            log.append(fm.LabelFact(labelled.company_id, labelled.id, int(labelled.created_at.timestamp()), 1))
    return log


def _fields(facts: OrderFacts) -> dict[str, object]:
    return {name: getattr(facts, name) for name in OrderFacts.__slots__}


def live(log: list[Logged], compiled: bool) -> FeatureState:
    """What the intake does with these orders as they come: a key seen before creates nothing
    (its idempotency entry), the rest go through the fraud engine a micro-batch at a time; a
    review's label goes straight to the state (streams/review_desk.py)."""
    features = FeatureState(LABEL_DELAY, compiled=compiled)
    engine = FraudEngine(lambda: Judges(), LABEL_DELAY)
    admitted: set[str] = set()
    batch: list[Order] = []
    for entry in log:
        if isinstance(entry, fm.LabelFact):
            engine.assess(features, batch)
            batch = []
            features.company(entry.company_id).label(entry.order_id, entry.order_at, entry.label)
            continue
        order = entry[0]
        if order.id not in admitted:
            admitted.add(order.id)
            batch.append(order)
        if len(batch) == 5:
            engine.assess(features, batch)
            batch = []
    engine.assess(features, batch)
    return features


def replayed(log: list[Logged], compiled: bool, batch: int) -> tuple[FeatureState, FeatureReplay]:
    """What a restore does: every logged fact, through the topic's encoding, in log order."""
    features = FeatureState(LABEL_DELAY, compiled=compiled)
    replay = FeatureReplay(features, batch)
    for entry in log:
        encoded = fm.encode_label(entry) if isinstance(entry, fm.LabelFact) else fm.encode_order_facts(entry[1])
        replay.feed(fm.decode_fact(encoded))
    replay.finish()
    return features, replay


def probe(features: FeatureState) -> np.ndarray:
    """The features of later orders of every user and recipient: what the states would decide."""
    later = [
        received_order(order_request(
            request_id=f"{i:032x}", company_id=company, idempotency_key=f"p{i}",
            end_user=EndUser(f"u{i % 6}"), recipient=Recipient(RecipientKind.PHONE, phone=f"+491511234{i % 8:04d}"),
            received_at=T0 + timedelta(hours=3, seconds=i),
        ))  # fmt: skip
        for i in range(48)
        for company in COMPANIES
    ]
    return features.update_and_compute(stream_facts(features, later))


def assert_same_state(a: FeatureState, b: FeatureState) -> None:
    for company in COMPANIES:
        assert a.company(company).clock == b.company(company).clock
        assert a.company(company).sizes() == b.company(company).sizes()
    np.testing.assert_array_equal(probe(a), probe(b))


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
@pytest.mark.parametrize("seed", range(6))
def test_a_replayed_hostile_log_rebuilds_the_live_state(seed: int, compiled: bool) -> None:
    log = hostile_log(seed)
    state, replay = replayed(log, compiled, batch=1 + seed * 17)
    assert replay.repeated > 0 and replay.clamped > 0, "the log must hold both hazards"
    assert_same_state(state, live(log, compiled))


def test_the_soak_log_replays_where_it_used_to_fail() -> None:
    """docs/reliability.md: the facts of 50+ orders written twice, same clamped times, after
    later ones. Feeding them as logged refuses time going back; the replay counts each once."""
    first = orders(7, 200)
    features = FeatureState(LABEL_DELAY)
    written: list[OrderFacts] = []
    for i in range(0, len(first), 10):
        written += stream_facts(features, first[i : i + 10])
        features.update_and_compute(written[-10:])
    log = written[:120] + written[60:120] + written[120:]
    with pytest.raises(ValueError, match="time order"):
        FeatureState(LABEL_DELAY).update_and_compute(log)

    state = FeatureState(LABEL_DELAY)
    replay = FeatureReplay(state)
    for facts in log:
        replay.feed(facts)
    replay.finish()
    assert (replay.repeated, replay.clamped) == (60, 0)
    assert_same_state(state, features)


def test_a_repeated_order_counts_once_in_the_velocity_features() -> None:
    order = orders(3, 1)[0]
    facts = facts_from_order(order)
    state = FeatureState(LABEL_DELAY)
    replay = FeatureReplay(state)
    for _ in range(3):
        replay.feed(facts)
    replay.finish()
    again = received_order(order_request(
        request_id="f" * 32, company_id=order.company_id, end_user=order.end_user,
        recipient=order.recipient, received_at=order.created_at + timedelta(seconds=1),
    ))  # fmt: skip
    row = state.update_and_compute(stream_facts(state, [again]))[0]
    assert row[FEATURE_INDEX["user_count_1h"]] == 1
