"""The fraud check of new orders, one micro-batch at a time: features, then the judges.

The stream's intake calls `FraudEngine.assess` with a partition's new orders; the feature
state is the caller's (it lives in the partition), the judges (model, and the rules and
lists) are read once per batch from a provider that swaps them when they change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from detectors.features import FEATURE_NAMES, FeatureState, OrderFacts, facts_from_order
from detectors.features.state import DEFAULT_LABEL_DELAY
from detectors.features.windows import DAY, RISK_WINDOWS, VELOCITY_WINDOWS
from detectors.models.model import Verdict
from detectors.models.scorer import Scorer
from domain.fraud import Assessment
from domain.orders import Order, OrderStatus

_VERDICT_STATUS = {
    Verdict.APPROVED: OrderStatus.APPROVED,
    Verdict.IN_REVIEW: OrderStatus.IN_REVIEW,
    Verdict.DECLINED: OrderStatus.DECLINED,
}


@dataclass(frozen=True, slots=True)
class Judges:
    """What decides, as of one batch."""

    scorer: Scorer | None = None
    model_version: str = ""


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
        facts = stream_facts(features, orders)
        matrix = features.update_and_compute(facts)
        judges = self._judges()
        assessments = self._judge(judges, matrix)
        return list(zip(facts, assessments))

    def _judge(self, judges: Judges, matrix: np.ndarray) -> list[Assessment]:
        n = len(matrix)
        rows = matrix.tolist()
        if judges.scorer is None or n == 0:
            return [Assessment(OrderStatus.APPROVED, ("no model loaded",), features=_named(r)) for r in rows]
        batch = judges.scorer.score(matrix)
        out: list[Assessment] = []
        for i, row in enumerate(rows):
            score = float(batch.scores[i])
            verdict = batch.verdicts[i]
            reason = f"model score {score:.3f}"
            out.append(Assessment(_VERDICT_STATUS[verdict], (reason,), score=score,
                                  model_version=judges.model_version, top_features=batch.reasons[i],
                                  features=_named(row)))  # fmt: skip
        return out


def stream_facts(features: FeatureState, orders: Sequence[Order]) -> list[OrderFacts]:
    """Facts in the order given, never before their company's clock: API nodes' clocks and
    the log's order may disagree by a moment, and features need time order per company."""
    clocks: dict[str, int] = {}
    facts: list[OrderFacts] = []
    for order in orders:
        clock = clocks.get(order.company_id)
        if clock is None:
            clock = features.company(order.company_id).clock
        at = max(int(order.created_at.timestamp()), clock)
        clocks[order.company_id] = at
        facts.append(facts_from_order(order, at=at))
    return facts


def _named(row: list[float]) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, row))
