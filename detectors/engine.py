"""The fraud check of new orders, one micro-batch at a time: features, then the judges.

The stream's intake calls `FraudEngine.assess` with a partition's new orders; the feature
state is the caller's (it lives in the partition), the judges (rules, lists, model and the
decision policy) are read once per batch from a provider that swaps them when they change.
Rules and the model each run once over the batch's feature matrix; lists are a few dict
lookups per order; the policy (detectors.decision) combines them per order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from detectors.decision import DEFAULT_POLICY, DecisionPolicy, decide, quiet
from detectors.features import FEATURE_NAMES, FeatureState, OrderFacts, facts_from_order
from detectors.features.state import DEFAULT_LABEL_DELAY, not_before_clock
from detectors.features.windows import DAY, RISK_WINDOWS, VELOCITY_WINDOWS
from detectors.lists import ListIndex
from detectors.lists.entries import identifiers_for
from detectors.models.scorer import ScoreBatch, Scorer
from detectors.rules import OrderAttributes, RuleSet
from detectors.rules.ruleset import RuleHits
from detectors.rules.defaults import DEFAULT_RULES
from detectors.sandbox import sandbox_verdict
from domain.fraud import Assessment
from domain.orders import Order, OrderStatus

_NO_RULES = RuleSet.compile(())


@dataclass(frozen=True, slots=True)
class Judges:
    """What decides, as of one batch."""

    rules: RuleSet = _NO_RULES
    lists: ListIndex | None = None
    scorer: Scorer | None = None
    model_version: str = ""
    points: DecisionPolicy = DEFAULT_POLICY  # rule-point thresholds (the model brings its own)


def default_judges() -> Judges:
    """The built-in payout rules, no lists, no model: what a fresh install decides with."""
    return Judges(rules=RuleSet.compile(DEFAULT_RULES))


def feature_horizon(label_delay: int) -> int:
    """How far back the facts must go to rebuild every window: the longest velocity window,
    or the longest risk window behind the label delay, plus a day of slack."""
    longest = max(w.length for w in VELOCITY_WINDOWS)
    risk = max(w.length for w in RISK_WINDOWS) + label_delay
    return max(longest, risk) + DAY


class FraudEngine:
    def __init__(self, judges: Callable[[], Judges], label_delay: int = DEFAULT_LABEL_DELAY) -> None:
        self._judges = judges
        self._label_delay = label_delay

    @property
    def label_delay(self) -> int:
        return self._label_delay

    @property
    def horizon_s(self) -> int:
        return feature_horizon(self._label_delay)

    def assess(self, features: FeatureState, orders: Sequence[Order]) -> list[tuple[OrderFacts, Assessment]]:
        if not orders:
            return []
        facts = stream_facts(features, orders)
        matrix = features.update_and_compute(facts)
        return list(zip(facts, judge(self._judges(), orders, matrix)))


def judge(judges: Judges, orders: Sequence[Order], matrix: np.ndarray) -> list[Assessment]:
    """Each order's assessment from its feature row: rules and model over the whole batch."""
    hits = rule_hits(judges, orders, matrix)
    batch = judges.scorer.score(matrix) if judges.scorer is not None else None
    return assessments(judges, orders, matrix, hits, batch)


def rule_hits(judges: Judges, orders: Sequence[Order], matrix: np.ndarray) -> Sequence[RuleHits]:
    """The rules over the batch (one numpy pass per rule); `judge`'s first stage."""
    return judges.rules.evaluate(matrix, [_attributes(o) for o in orders]).hits


def assessments(
    judges: Judges, orders: Sequence[Order], matrix: np.ndarray, hits: Sequence[RuleHits], batch: ScoreBatch | None
) -> list[Assessment]:
    """Lists and the decision policy per order, from the batch's rule hits and model scores."""
    policy = judges.points
    if batch is not None and judges.scorer is not None:
        policy = DecisionPolicy(policy.points, judges.scorer.model.thresholds)
    lists = judges.lists if judges.lists else None
    scores = batch.scores.tolist() if batch is not None else [None] * len(orders)
    reasons = batch.reasons if batch is not None else [()] * len(orders)
    version = judges.model_version
    out: list[Assessment] = []
    model = policy.model
    for order, row, h, score, top in zip(orders, matrix.tolist(), hits, scores, reasons):
        matches = lists.match(identifiers_for(order), order.company_id, order.created_at) if lists else ()
        forced = sandbox_verdict(order)  # sandbox orders with a magic value: what it asks for
        if forced is None and quiet(h, matches, score, model):
            # What `decide` would say, without building the decision (most orders, sandbox
            # ones without a magic value too).
            out.append(Assessment(
                _APPROVED, _NO_SIGNAL, score=score, points=h.points, model_version=version, top_features=top,
                features=dict(zip(FEATURE_NAMES, row)),
            ))  # fmt: skip
            continue
        d = decide(h, matches, score, policy)
        status, why = d.status, d.reasons or _NO_SIGNAL
        if forced is not None:
            status, why = forced.status, (forced.reason,)
        out.append(Assessment(
            status, why, score=score, points=d.points, fired_rules=d.rules,
            shadow_rules=d.shadow_rules, model_version=version, top_features=top,
            features=dict(zip(FEATURE_NAMES, row)),
        ))  # fmt: skip
    return out


_NO_SIGNAL = ("no fraud signal",)
_APPROVED = OrderStatus.APPROVED


def _attributes(order: Order) -> OrderAttributes:
    r = order.recipient
    return OrderAttributes(order.company_id, order.amount.value, order.amount.currency, r.kind.value,
                           r.card_bin or "", order.product_type, order.sandbox)  # fmt: skip


def stream_facts(features: FeatureState, orders: Sequence[Order]) -> list[OrderFacts]:
    """Facts in the order given, never before their company's clock: API nodes' clocks and
    the log's order may disagree by a moment, and features need time order per company."""
    clocks: dict[str, int] = {}
    facts: list[OrderFacts] = []
    for order in orders:
        at = not_before_clock(features, clocks, order.company_id, int(order.created_at.timestamp()))
        facts.append(facts_from_order(order, at=at))
    return facts
