"""Model files: round trip, and refusal of altered, foreign or mismatched files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from detectors.features import FEATURE_INDEX, FEATURE_NAMES
from detectors.models.model import ModelKind, Verdict
from detectors.models.scorer import Scorer
from detectors.models.store import ModelFileError, _sha256, load_models, save_models
from detectors.models.train import train_anomaly, train_supervised

SMALL_HGB = {"max_iter": 20, "early_stopping": False, "random_state": 0}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, len(FEATURE_NAMES)))
    amount = FEATURE_INDEX["amount"]
    y = (x[:, amount] > 1.5).astype(np.int64)
    return x, y


@pytest.fixture()
def model_dir(tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> Path:
    x, y = data
    models = {
        ModelKind.SUPERVISED: train_supervised(x, y, SMALL_HGB),
        ModelKind.ANOMALY: train_anomaly(x, {"n_estimators": 20, "random_state": 0}),
    }
    save_models(tmp_path, models, {"label_delay_seconds": 604800, "training": {"from": "2018-05-01", "to": "2018-05-31"}})
    return tmp_path


def test_round_trip_scores_identically(model_dir: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    loaded = load_models(model_dir)
    assert set(loaded.models) == {ModelKind.SUPERVISED, ModelKind.ANOMALY}
    assert loaded.label_delay == 604800
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["feature_names"] == list(FEATURE_NAMES)
    assert manifest["models"]["supervised"]["estimator"] == "HistGradientBoostingClassifier"
    fresh = train_supervised(x, y, SMALL_HGB)
    assert np.allclose(Scorer(loaded.models[ModelKind.SUPERVISED]).risk(x), Scorer(fresh).risk(x))


def test_flagged_orders_get_reasons(model_dir: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = data
    batch = Scorer(load_models(model_dir).models[ModelKind.SUPERVISED]).score(x)
    flagged = [i for i, v in enumerate(batch.verdicts) if v is not Verdict.APPROVED]
    assert flagged
    assert all(batch.reasons[i] and batch.reasons[i][0] == "amount" for i in flagged)
    assert all(batch.reasons[i] == () for i, v in enumerate(batch.verdicts) if v is Verdict.APPROVED)


def test_an_altered_file_is_refused(model_dir: Path) -> None:
    path = model_dir / "supervised.skops"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="checksum"):
        load_models(model_dir)


def test_a_file_with_untrusted_types_is_refused_even_with_a_matching_checksum(model_dir: Path) -> None:
    # A model that would call a function of the attacker's choice when used.
    path = model_dir / "supervised.skops"
    sio.dump(FunctionTransformer(func=print), path)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["models"]["supervised"]["sha256"] = _sha256(path)
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="untrusted"):
        load_models(model_dir)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(feature_names=["amount"]), "feature layout"),
        (lambda m: m.update(format=99), "format"),
        (lambda m: m["models"].update(other=m["models"]["supervised"]), "unknown model kind"),
        (lambda m: m["models"]["supervised"].update(file="../x.skops"), "missing"),
    ],
)
def test_a_mismatched_manifest_is_refused(model_dir: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((model_dir / "manifest.json").read_text())
    change(manifest)
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=message):
        load_models(model_dir)


def test_a_directory_without_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="manifest"):
        load_models(tmp_path)
