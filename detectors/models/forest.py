"""The supervised model's trees as flat arrays, walked by one compiled loop: sklearn's scores.

`HistGradientBoostingClassifier.predict_proba` calls each of its trees apart (an OpenMP region
and input checks per tree, ~20 µs each whatever the rows): 300 trees cost ~6 ms per call even
for a stream poll of ten orders, and twice when an order is flagged (the reasons). Here all the
trees' nodes are laid out in one set of arrays and a numba loop walks every tree for each row.

Same scores to the bit: each row's raw score starts from the model's baseline and adds the
trees' leaf values one after the other in sklearn's order (no fast-math, so no reordering), and
the probability is the estimator's own link (its loss' `predict_proba`). The walk is
sklearn's `_predict_one_from_raw_data` for numeric features: NaN follows `missing_go_to_left`,
otherwise `x <= threshold` goes left. Models with categorical features, several trees per
iteration (multiclass) or another estimator are not flattened (`flatten` returns None) and are
scored by sklearn as before. tests/detectors/models/test_forest.py compares both on random and
edge-case inputs.

numba is imported on the first `flatten` only (commands that never score do not pay it); the
compiled loop is cached next to this file (`cache=True`), but numba's import and first call
still cost ~1.5-3 s once per process (measured on the shared 2-core box at load 5), paid when
the first Scorer is built (the model watcher's first load). Without numba, sklearn scores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FlatForest:
    baseline: float  # the estimator's raw baseline prediction (log-odds)
    n_features: int
    roots: np.ndarray  # int64, each tree's first node in the arrays below
    feature: np.ndarray  # int64
    threshold: np.ndarray  # float64
    left: np.ndarray  # int64, absolute index
    right: np.ndarray  # int64, absolute index
    missing_left: np.ndarray  # bool
    is_leaf: np.ndarray  # bool
    value: np.ndarray  # float64
    link: Any  # the estimator's loss: raw score → probabilities

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The raw scores (sklearn's `_raw_predict`) of the rows of `x` (n, n_features)."""
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected a matrix of {self.n_features} columns, got shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty(len(x), dtype=np.float64)
        _walk()(x, self.baseline, self.roots, self.feature, self.threshold, self.left, self.right,
                self.missing_left, self.is_leaf, self.value, out)  # fmt: skip
        return out

    def proba(self, x: np.ndarray) -> np.ndarray:
        """P(fraud) per row: `predict_proba(x)[:, 1]` of the estimator flattened."""
        return self.link.predict_proba(self.raw(x))[:, 1]


def flatten(estimator: Any) -> FlatForest | None:
    """The trees of a fitted binary HistGradientBoostingClassifier on numeric features; None
    for anything this walk does not reproduce exactly."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if type(estimator) is not HistGradientBoostingClassifier:
        return None
    if getattr(estimator, "n_trees_per_iteration_", None) != 1 or getattr(estimator, "_preprocessor", None) is not None:
        return None
    if getattr(estimator, "is_categorical_", None) is not None and np.any(estimator.is_categorical_):
        return None
    trees = [iteration[0].nodes for iteration in estimator._predictors]
    if not trees or any(np.any(t["is_categorical"]) for t in trees):
        return None
    sizes = np.array([len(t) for t in trees], dtype=np.int64)
    roots = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    nodes = np.concatenate(trees)
    offset = np.repeat(roots, sizes)
    baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(-1)
    forest = FlatForest(
        baseline=float(baseline[0]),
        n_features=int(estimator.n_features_in_),
        roots=roots,
        feature=nodes["feature_idx"].astype(np.int64),
        threshold=nodes["num_threshold"].astype(np.float64),
        left=nodes["left"].astype(np.int64) + offset,
        right=nodes["right"].astype(np.int64) + offset,
        missing_left=nodes["missing_go_to_left"].astype(np.bool_),
        is_leaf=nodes["is_leaf"].astype(np.bool_),
        value=nodes["value"].astype(np.float64),
        link=estimator._loss,
    )
    try:
        _walk()
    except ImportError:  # numba missing from this environment: sklearn scores as before
        log.warning("numba not importable: the supervised model is scored by sklearn (slower)")
        return None
    forest.raw(np.zeros((1, forest.n_features)))  # compile (or load from the cache) now
    return forest


_compiled: list[Any] = []


def _walk() -> Any:
    if not _compiled:
        import numba

        try:
            walk = numba.njit(cache=True, nogil=True)(_walk_python)
        except RuntimeError:  # no writable cache directory (read-only install, no home): compile per process
            walk = numba.njit(nogil=True)(_walk_python)
        _compiled.append(walk)
    return _compiled[0]


def _walk_python(  # type: ignore[no-untyped-def]
    x, baseline, roots, feature, threshold, left, right, missing_left, is_leaf, value, out
):
    """numba compiles this: each row's raw score, trees in sklearn's order."""
    for i in range(x.shape[0]):
        acc = baseline
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                v = x[i, feature[node]]
                if np.isnan(v):
                    node = left[node] if missing_left[node] else right[node]
                elif v <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            acc += value[node]
        out[i] = acc
