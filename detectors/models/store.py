"""Model directories: estimators in skops files, described and pinned by a JSON manifest.

Loading never unpickles: skops rebuilds only the types it trusts plus the few scikit-learn
tree types our two estimators are made of, and refuses anything else. The manifest pins each
file's SHA-256, so a swapped or altered file is refused before it is even parsed, and the
feature layout, so a model is never fed columns in another order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import skops.io as sio

from detectors.features.names import FEATURE_NAMES
from detectors.models.manifest import FORMAT, MANIFEST
from detectors.models.model import ModelKind, Thresholds, TrainedModel

__all__ = ["FORMAT", "MANIFEST", "ModelFileError", "ModelSet", "load_models", "save_models"]
# Types outside skops' default trust that HistGradientBoostingClassifier and IsolationForest
# need; nothing else is ever accepted.
TRUSTED_TYPES = frozenset(
    {
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.tree._tree.Tree",
    }
)


class ModelFileError(ValueError):
    """The model directory is missing, altered, or not one of ours."""


@dataclass(frozen=True, slots=True)
class ModelSet:
    manifest: dict[str, Any]
    models: dict[ModelKind, TrainedModel]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def label_delay(self) -> int:
        return int(self.manifest["label_delay_seconds"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_models(directory: Path, models: dict[ModelKind, TrainedModel], about: dict[str, Any]) -> dict[str, Any]:
    """Write one skops file per model and the manifest (written last: a half-written directory
    has no manifest and cannot load)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)
    entries: dict[str, Any] = {}
    for kind, model in models.items():
        path = directory / f"{kind.value}.skops"
        sio.dump(model.estimator, path)
        entries[kind.value] = {
            "file": path.name,
            "sha256": _sha256(path),
            "estimator": type(model.estimator).__name__,
            "params": {k: v for k, v in model.estimator.get_params().items() if _plain(v)},
            "columns": list(model.columns),
            "thresholds": {"review": model.thresholds.review, "decline": model.thresholds.decline},
            "baseline": list(model.baseline),
        }
    digest = hashlib.sha256("".join(e["sha256"] for e in entries.values()).encode()).hexdigest()
    created = datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "version": f"{created:%Y%m%dT%H%M%SZ}-{digest[:8]}",
        "created_at": created.isoformat(),
        "feature_names": list(FEATURE_NAMES),
        **about,
        "models": entries,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def load_models(directory: Path) -> ModelSet:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(f"no {MANIFEST} in {directory}: not a model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: unknown manifest format")
    if manifest.get("feature_names") != list(FEATURE_NAMES):
        raise ModelFileError(
            f"{path}: trained on another feature layout; retrain with this version of Quadra"
        )
    models: dict[ModelKind, TrainedModel] = {}
    for name, entry in manifest.get("models", {}).items():
        try:
            kind = ModelKind(name)
        except ValueError:
            raise ModelFileError(f"{path}: unknown model kind {name!r}") from None
        models[kind] = _load_one(directory, kind, entry)
    if not models:
        raise ModelFileError(f"{path}: lists no model")
    return ModelSet(manifest, models)


def _load_one(directory: Path, kind: ModelKind, entry: dict[str, Any]) -> TrainedModel:
    file = directory / str(entry["file"])
    if file.parent != directory or not file.is_file():
        raise ModelFileError(f"{kind.value}: model file {entry['file']!r} is missing")
    if _sha256(file) != entry["sha256"]:
        raise ModelFileError(f"{file}: checksum differs from the manifest (altered or replaced)")
    try:
        untrusted = set(sio.get_untrusted_types(file=file))
        unknown = untrusted - TRUSTED_TYPES
        if unknown:
            raise ModelFileError(f"{file}: refuses to load untrusted types {sorted(unknown)}")
        estimator = sio.load(file, trusted=sorted(untrusted))
    except ModelFileError:
        raise
    except Exception as e:  # skops' own errors for a corrupt archive vary by cause
        raise ModelFileError(f"{file}: cannot be read as a model: {e}") from None
    expected = {ModelKind.SUPERVISED: "HistGradientBoostingClassifier", ModelKind.ANOMALY: "IsolationForest"}
    if type(estimator).__name__ != entry.get("estimator") or not hasattr(estimator, "predict"):
        raise ModelFileError(f"{file}: holds a {type(estimator).__name__}, not the manifest's model")
    if entry.get("estimator") not in expected.values():
        raise ModelFileError(f"{file}: unknown estimator {entry.get('estimator')!r}")
    if not set(entry["columns"]) <= set(FEATURE_NAMES):
        raise ModelFileError(f"{file}: reads features this version does not compute")
    thresholds = entry["thresholds"]
    return TrainedModel(
        kind,
        estimator,
        tuple(entry["columns"]),
        Thresholds(float(thresholds["review"]), float(thresholds["decline"])),
        tuple(float(v) for v in entry["baseline"]),
    )
