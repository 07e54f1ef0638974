"""Hot reload: a new model directory goes into service when its manifest changes; a broken one
leaves the previous models serving."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from detectors.features import FEATURE_INDEX, FEATURE_NAMES
from detectors.models.model import ModelKind
from detectors.models.store import MANIFEST, save_models
from detectors.models.train import train_anomaly, train_supervised
from detectors.models.watch import ModelWatcher

ABOUT = {"label_delay_seconds": 604800}


def matrix(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, len(FEATURE_NAMES)))
    return x, (x[:, FEATURE_INDEX["amount"]] > 1.0).astype(np.int64)


def test_models_load_reload_and_survive_a_broken_directory(tmp_path: Path) -> None:
    watcher = ModelWatcher(tmp_path)
    assert not watcher.refresh() and watcher.scorer is None  # nothing there yet

    x, _ = matrix(0)
    save_models(tmp_path, {ModelKind.ANOMALY: train_anomaly(x, {"n_estimators": 10, "random_state": 0})}, ABOUT)
    assert watcher.refresh() and watcher.scorer is not None
    assert watcher.scorer.model.kind is ModelKind.ANOMALY
    first = watcher.models.version if watcher.models else ""
    assert not watcher.refresh()  # unchanged manifest: nothing reloaded

    # Labels exist now: the supervised model is preferred.
    x, y = matrix(1)
    models = {ModelKind.SUPERVISED: train_supervised(x, y, {"max_iter": 10, "early_stopping": False}),
              ModelKind.ANOMALY: train_anomaly(x, {"n_estimators": 10, "random_state": 0})}  # fmt: skip
    save_models(tmp_path, models, ABOUT)
    os.utime(tmp_path / MANIFEST, ns=(1, 1))  # a different mtime even within the clock's resolution
    assert watcher.refresh() and watcher.scorer.model.kind is ModelKind.SUPERVISED
    serving = watcher.scorer

    # A file altered after the manifest was written: refused, the previous model keeps serving.
    (tmp_path / "supervised.skops").write_bytes(b"not a model")
    (tmp_path / MANIFEST).write_text((tmp_path / MANIFEST).read_text() + " ")
    assert not watcher.refresh()
    assert watcher.scorer is serving and watcher.last_error and "checksum" in watcher.last_error
    assert watcher.models is not None and watcher.models.version != first
