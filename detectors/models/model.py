"""A trained model and what scoring needs besides the estimator: columns, thresholds, baseline."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np

from detectors.features.names import FEATURE_INDEX


class ModelKind(str, enum.Enum):
    SUPERVISED = "supervised"  # learns from confirmed labels: probability of fraud
    ANOMALY = "anomaly"  # no labels: how isolated the order is (IsolationForest)


class Verdict(str, enum.Enum):
    APPROVED = "approved"
    IN_REVIEW = "in_review"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Thresholds:
    review: float  # score at or above: held for an analyst
    decline: float  # score at or above: declined

    def __post_init__(self) -> None:
        if self.decline < self.review:
            raise ValueError("the decline threshold must not be below the review threshold")

    def verdicts(self, scores: np.ndarray) -> list[Verdict]:
        out = np.full(len(scores), 0, dtype=np.int8)
        out[scores >= self.review] = 1
        out[scores >= self.decline] = 2
        table = (Verdict.APPROVED, Verdict.IN_REVIEW, Verdict.DECLINED)
        return [table[v] for v in out.tolist()]


@dataclass(frozen=True, slots=True)
class TrainedModel:
    kind: ModelKind
    estimator: Any  # a fitted scikit-learn estimator
    columns: tuple[str, ...]  # the features it reads, a subset of FEATURE_NAMES
    thresholds: Thresholds
    # A typical training value per column: reasons say which features, set to this value,
    # would lower the score most.
    baseline: tuple[float, ...]

    @property
    def column_indices(self) -> np.ndarray:
        return np.array([FEATURE_INDEX[c] for c in self.columns], dtype=np.int64)

    def risk(self, x: np.ndarray) -> np.ndarray:
        """Higher = riskier, for rows already restricted to `columns`."""
        if self.kind is ModelKind.SUPERVISED:
            return self.estimator.predict_proba(x)[:, 1]
        return -self.estimator.score_samples(x)  # sklearn: lower = more abnormal
