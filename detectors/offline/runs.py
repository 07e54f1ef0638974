"""`train` and `backtest` over a file: same features, same scorer as the stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from detectors.models.model import ModelKind, TrainedModel
from detectors.models.scorer import Scorer
from detectors.models.store import ModelSet, save_models
from detectors.models.train import train_anomaly, train_supervised
from detectors.offline.dataset import Period
from detectors.offline.featurize import Featurized, featurize_file
from detectors.offline.metrics import evaluate, known_defrauded


@dataclass(frozen=True, slots=True)
class TrainReport:
    manifest: dict[str, Any]
    features: Featurized


def train_run(
    source: Path, period: Period, model_dir: Path, token_key: bytes, label_delay: int
) -> TrainReport:
    features = featurize_file(source, period, token_key, label_delay)
    labelled = features.labels >= 0
    x, y = features.matrix[labelled], features.labels[labelled].astype(np.int64)
    if len(x) == 0:
        raise ValueError(f"no labelled orders between {period.first} and {period.last}")
    models: dict[ModelKind, TrainedModel] = {
        ModelKind.SUPERVISED: train_supervised(x, y),
        ModelKind.ANOMALY: train_anomaly(features.matrix),
    }
    in_sample = {
        kind.value: _in_sample(model, x, y, features, labelled) for kind, model in models.items()
    }
    about = {
        "label_delay_seconds": label_delay,
        "training": {
            "input": source.name,
            **period.as_json(),
            "orders": int(len(features.matrix)),
            "labelled": int(labelled.sum()),
            "frauds": int(y.sum()),
        },
        # On the training rows themselves: a sanity check, not an estimate of what to expect.
        "training_metrics_in_sample": in_sample,
        "feature_throughput_orders_per_second": round(features.orders_per_second),
    }
    return TrainReport(save_models(model_dir, models, about), features)


def _in_sample(model: TrainedModel, x: np.ndarray, y: np.ndarray, f: Featurized, labelled: np.ndarray) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(x), size=min(len(x), 200_000), replace=False))
    batch = Scorer(model).score(x[rows])
    metrics = evaluate(
        f.at[labelled][rows], f.users[labelled][rows], y[rows], batch.scores,
        [v.value for v in batch.verdicts],
    )  # fmt: skip
    metrics["rows_sampled"] = int(len(rows))
    return metrics


@dataclass(frozen=True, slots=True)
class BacktestReport:
    metrics: dict[str, Any]
    features: Featurized


def backtest_run(
    source: Path,
    models: ModelSet,
    period: Period,
    scores_out: Path,
    token_key: bytes,
    primary: ModelKind,
    known_from: date | None = None,
) -> BacktestReport:
    """`known_from`: first day whose frauds make an end user "known defrauded" (left out of
    the metrics); by default the start of training, as the handbook."""
    if primary not in models.models:
        raise ValueError(f"the model directory has no {primary.value} model")
    features = featurize_file(source, period, token_key, models.label_delay)
    since = known_from or Period.from_json(models.manifest["training"]).first
    excluded = known_defrauded(
        features.at, features.users, features.frauds, Period(since, since).start, models.label_delay
    )
    kept = ~excluded
    results: dict[str, Any] = {}
    for kind, model in models.models.items():
        batch = Scorer(model).score(features.matrix)
        verdicts = [v.value for v in batch.verdicts]
        if kind is primary:
            with scores_out.open("wb") as out:
                out.writelines(_score_lines(features.lines, batch.scores, verdicts, batch.reasons))
        results[kind.value] = evaluate(
            features.at[kept], features.users[kept], features.labels[kept], batch.scores[kept],
            [v for v, k in zip(verdicts, kept.tolist()) if k],
        )  # fmt: skip
    metrics = {
        "model_version": models.version,
        "scored_by": primary.value,
        **period.as_json(),
        "label_delay_seconds": models.label_delay,
        "training": models.manifest["training"],
        "orders_scored": int(len(features.matrix)),
        "known_defrauded_from": since.isoformat(),
        "orders_left_out_known_defrauded": int(excluded.sum()),
        "feature_throughput_orders_per_second": round(features.orders_per_second),
        **results,
    }
    return BacktestReport(metrics, features)


def _score_lines(
    lines: np.ndarray, scores: np.ndarray, verdicts: list[str], reasons: list[tuple[str, ...]]
) -> Iterator[bytes]:
    for line, score, verdict, why in zip(lines.tolist(), scores.tolist(), verdicts, reasons):
        yield orjson.dumps({"line": line, "score": score, "decision": verdict, "reasons": list(why)}) + b"\n"
