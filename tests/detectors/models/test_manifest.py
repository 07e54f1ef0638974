"""Reading a model directory's manifest without loading its models: what the model page
shows, the watcher's choice of model, file checksums, and refused directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detectors.features import FEATURE_INDEX, FEATURE_NAMES
from detectors.models.manifest import MANIFEST, ManifestError, read_manifest, serving_kind
from detectors.models.model import ModelKind
from detectors.models.store import save_models
from detectors.models.train import ANOMALY_COLUMNS, train_anomaly, train_supervised

METRICS = {"roc_auc": 0.91, "average_precision": 0.7, "card_precision_at_100": 0.3}
ABOUT = {
    "label_delay_seconds": 604800,
    "training": {"input": "tx.jsonl", "from": "2018-05-01", "to": "2018-07-31", "orders": 500, "labelled": 500,
                 "frauds": 80},
    "training_metrics_in_sample": {"supervised": METRICS, "anomaly": {"roc_auc": 0.6}},
}  # fmt: skip


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, len(FEATURE_NAMES)))
    y = (x[:, FEATURE_INDEX["amount"]] > 1.0).astype(np.int64)
    models = {ModelKind.SUPERVISED: train_supervised(x, y, {"max_iter": 5, "early_stopping": False}),
              ModelKind.ANOMALY: train_anomaly(x, {"n_estimators": 5, "random_state": 0})}  # fmt: skip
    save_models(directory, models, ABOUT)
    return directory


def test_reads_what_train_saved_and_names_the_model_the_stream_serves(model_dir: Path) -> None:
    m = read_manifest(model_dir)
    saved = json.loads((model_dir / MANIFEST).read_text())
    assert m.version == saved["version"] and m.created_at is not None
    assert m.label_delay_seconds == 604800 and m.training["from"] == "2018-05-01"
    assert set(m.models) == {ModelKind.SUPERVISED, ModelKind.ANOMALY}
    serving = m.serving
    assert serving.kind is ModelKind.SUPERVISED and serving.estimator == "HistGradientBoostingClassifier"
    assert serving.columns == FEATURE_NAMES and serving.metrics == METRICS and serving.file_intact
    assert (serving.review_threshold, serving.decline_threshold) == (0.3, 0.8)
    assert m.models[ModelKind.ANOMALY].columns == ANOMALY_COLUMNS


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ([ModelKind.ANOMALY, ModelKind.SUPERVISED], ModelKind.SUPERVISED),
        ([ModelKind.SUPERVISED], ModelKind.SUPERVISED),
        ([ModelKind.ANOMALY], ModelKind.ANOMALY),
    ],
)
def test_serving_kind_prefers_the_supervised_model(kinds: list[ModelKind], expected: ModelKind) -> None:
    assert serving_kind(kinds) is expected


def test_serving_kind_of_no_model_is_refused() -> None:
    with pytest.raises(ManifestError):
        serving_kind([])


def _copy(model_dir: Path, target: Path, edit: object = None) -> Path:
    target.mkdir()
    for f in model_dir.iterdir():
        (target / f.name).write_bytes(f.read_bytes())
    if edit is not None:
        manifest = json.loads((target / MANIFEST).read_text())
        edit(manifest)  # type: ignore[operator]
        (target / MANIFEST).write_text(json.dumps(manifest))
    return target


def test_an_altered_file_reads_as_not_intact(model_dir: Path, tmp_path: Path) -> None:
    copy = _copy(model_dir, tmp_path / "m")
    (copy / "supervised.skops").write_bytes(b"not a model")
    m = read_manifest(copy)
    assert not m.serving.file_intact and m.models[ModelKind.ANOMALY].file_intact


def test_a_file_outside_the_directory_is_never_read(model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.skops").write_bytes(b"x")
    copy = _copy(model_dir, tmp_path / "m", lambda m: m["models"]["supervised"].update(file="../secret.skops"))
    assert not read_manifest(copy).serving.file_intact


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format=2), "format"),
        (lambda m: m.update(feature_names=["amount"]), "feature layout"),
        (lambda m: m.update(models={}), "no model"),
        (lambda m: m["models"].update(gbm=m["models"]["supervised"]), "malformed"),
        (lambda m: m["models"]["supervised"].pop("thresholds"), "malformed"),
        (lambda m: m["models"]["supervised"].update(thresholds="high"), "malformed"),
        (lambda m: m.update(created_at="yesterday"), "malformed"),
    ],
)
def test_refuses_manifests_not_of_ours(model_dir: Path, tmp_path: Path, edit: object, message: str) -> None:
    copy = _copy(model_dir, tmp_path / "m", edit)
    with pytest.raises(ManifestError, match=message):
        read_manifest(copy)


@pytest.mark.parametrize("content", [b"", b"{", b"[1, 2]", b"\xff\xfe", b"null"])
def test_refuses_unreadable_manifests(tmp_path: Path, content: bytes) -> None:
    (tmp_path / MANIFEST).write_bytes(content)
    with pytest.raises(ManifestError):
        read_manifest(tmp_path)


def test_refuses_a_missing_or_huge_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no manifest"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_bytes(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(ManifestError, match="larger"):
        read_manifest(tmp_path)
