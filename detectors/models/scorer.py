"""Scoring a feature matrix: risk score, decision and the features that drove it.

Called per micro-batch by the stream and on a whole period by the backtest. Reasons are worked
out only for orders not approved (the ones a person looks at): occlusion — each feature in turn
is set to its typical training value, and the features whose reset lowers the score most are
the reasons. It needs one extra prediction per feature per flagged order, batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detectors.models.forest import flatten
from detectors.models.model import ModelKind, TrainedModel, Verdict


@dataclass(frozen=True, slots=True)
class ScoreBatch:
    scores: np.ndarray  # float64, higher = riskier
    verdicts: list[Verdict]
    reasons: list[tuple[str, ...]]  # empty for approved orders


class Scorer:
    def __init__(self, model: TrainedModel, top_reasons: int = 3) -> None:
        self.model = model
        self.top_reasons = top_reasons
        self._columns = model.column_indices
        self._baseline = np.array(model.baseline, dtype=np.float64)
        # The supervised trees walked by one compiled loop (same scores, see forest.py); other
        # models, and estimators it does not reproduce, are scored by sklearn.
        forest = flatten(model.estimator) if model.kind is ModelKind.SUPERVISED else None
        self._predict = forest.proba if forest is not None else model.risk

    def risk(self, matrix: np.ndarray) -> np.ndarray:
        """Scores only, for a matrix with every column of FEATURE_NAMES."""
        if len(matrix) == 0:
            return np.empty(0)
        return self._predict(matrix[:, self._columns])

    def score(self, matrix: np.ndarray) -> ScoreBatch:
        # Threads: a stream worker owns one core, and OpenMP threads spinning against other
        # work cost more than they give (see detectors.models.train). The worker limits them
        # once for the process (quadra.fraud_roles): entering `threadpool_limits` per batch
        # costs ~3 ms, more than scoring a poll's batch.
        return self._score(matrix)

    def _score(self, matrix: np.ndarray) -> ScoreBatch:
        scores = self.risk(matrix)
        verdicts = self.model.thresholds.verdicts(scores)
        reasons: list[tuple[str, ...]] = [()] * len(scores)
        flagged = [i for i, v in enumerate(verdicts) if v is not Verdict.APPROVED]
        if flagged:
            for i, why in zip(flagged, self._explain(matrix[flagged][:, self._columns], scores[flagged])):
                reasons[i] = why
        return ScoreBatch(scores, verdicts, reasons)

    def _explain(self, x: np.ndarray, scores: np.ndarray) -> list[tuple[str, ...]]:
        n, k = x.shape
        occluded = np.repeat(x, k, axis=0)
        occluded[np.arange(n * k), np.tile(np.arange(k), n)] = np.tile(self._baseline, n)
        drop = scores[:, None] - self._predict(occluded).reshape(n, k)
        order = np.argsort(-drop, axis=1)[:, : self.top_reasons]
        names = self.model.columns
        return [
            tuple(names[j] for j in row if drop[i, j] > 0) for i, row in enumerate(order.tolist())
        ]
