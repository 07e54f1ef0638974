"""The flattened trees against sklearn: the same scores to the bit, and refusals of what they
do not reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, IsolationForest

from detectors.features import FEATURE_INDEX, FEATURE_NAMES
from detectors.models.forest import flatten
from detectors.models.model import ModelKind, Verdict
from detectors.models.scorer import Scorer
from detectors.models.train import SUPERVISED_PARAMS, train_anomaly, train_supervised

WIDTH = len(FEATURE_NAMES)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4000, WIDTH))
    x[:, FEATURE_INDEX["amount"]] = rng.integers(100, 100_000, size=4000)  # integer-valued, ties
    x[:, FEATURE_INDEX["is_night"]] = rng.integers(0, 2, size=4000)
    noise = rng.random(4000) < 0.05
    y = ((x[:, FEATURE_INDEX["amount"]] > 80_000) ^ noise).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def model(data: tuple[np.ndarray, np.ndarray]) -> HistGradientBoostingClassifier:
    x, y = data
    return train_supervised(x, y, {**SUPERVISED_PARAMS, "max_iter": 60}).estimator


def probe_rows(x: np.ndarray, model: HistGradientBoostingClassifier) -> np.ndarray:
    """Training rows, fresh rows, and rows set exactly on the trees' thresholds (<= goes left),
    a hair above them, at ±inf and NaN (missing values)."""
    rng = np.random.default_rng(11)
    fresh = rng.normal(scale=3, size=(500, WIDTH))
    nodes = np.concatenate([p[0].nodes for p in model._predictors])
    splits = nodes[~nodes["is_leaf"].astype(bool)]
    edge = np.repeat(x[:len(splits)], 2, axis=0)
    for i, node in enumerate(splits):
        edge[2 * i, node["feature_idx"]] = node["num_threshold"]
        edge[2 * i + 1, node["feature_idx"]] = np.nextafter(node["num_threshold"], np.inf)
    odd = x[:30].copy()
    odd[:10, :5] = np.nan
    odd[10:20, 5:9] = np.inf
    odd[20:30, 9:12] = -np.inf
    return np.vstack([x, fresh, edge, odd])


def test_raw_scores_and_probabilities_are_sklearns_to_the_bit(data, model) -> None:
    x, _ = data
    rows = probe_rows(x, model)
    forest = flatten(model)
    assert forest is not None
    assert np.array_equal(forest.raw(rows), model._raw_predict(rows)[:, 0])
    assert np.array_equal(forest.proba(rows), model.predict_proba(rows)[:, 1])


def test_nan_follows_the_learned_missing_direction() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 4))
    x[rng.random(3000) < 0.2, 0] = np.nan
    y = (np.isnan(x[:, 0]) | (x[:, 1] > 1)).astype(np.int64)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    forest = flatten(model)
    assert forest is not None
    assert np.array_equal(forest.proba(x), model.predict_proba(x)[:, 1])


def test_scorer_scores_verdicts_and_reasons_match_sklearns(data, model) -> None:
    x, y = data
    trained = train_supervised(x, y, {**SUPERVISED_PARAMS, "max_iter": 60})
    fast = Scorer(trained)
    assert fast._predict != trained.risk  # the flattened trees are in use
    slow = Scorer(trained)
    slow._predict = trained.risk  # the reference: sklearn itself
    a, b = fast.score(x[:1500]), slow.score(x[:1500])
    assert np.array_equal(a.scores, b.scores)
    assert a.verdicts == b.verdicts and a.reasons == b.reasons
    assert any(v is not Verdict.APPROVED for v in a.verdicts)
    assert np.array_equal(fast.risk(x[:0]), slow.risk(x[:0]))


def test_wrong_width_is_refused(model) -> None:
    forest = flatten(model)
    assert forest is not None
    with pytest.raises(ValueError, match="columns"):
        forest.raw(np.zeros((3, WIDTH + 1)))
    with pytest.raises(ValueError, match="columns"):
        forest.raw(np.zeros(WIDTH))


def test_what_it_does_not_reproduce_stays_with_sklearn(data) -> None:
    x, y = data
    assert flatten(HistGradientBoostingRegressor(max_iter=5).fit(x[:500, :3], y[:500])) is None
    multi = HistGradientBoostingClassifier(max_iter=5).fit(x[:600, :3], np.arange(600) % 3)
    assert flatten(multi) is None
    categorical = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0])
    cats = np.column_stack([np.arange(600) % 4, x[:600, :2]])
    assert flatten(categorical.fit(cats, y[:600])) is None
    assert flatten(IsolationForest(n_estimators=5).fit(x[:200])) is None
    anomaly = train_anomaly(x[:1000], {"n_estimators": 10, "random_state": 0})
    assert anomaly.kind is ModelKind.ANOMALY
    scorer = Scorer(anomaly)
    assert np.array_equal(scorer.risk(x[:50]), anomaly.risk(x[:50][:, anomaly.column_indices]))
