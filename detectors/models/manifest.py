"""What a model directory says about its models, read from its manifest alone.

For processes that show the model but do not score with it (the API's model page): no skops,
no estimator is rebuilt. The same checks as loading (format, feature layout, known kinds) and
the same choice of model as the stream's watcher, plus each file's checksum, so the page can
say whether the stream would accept the directory as it stands.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from detectors.features.names import FEATURE_NAMES
from detectors.models.model import ModelKind

MANIFEST = "manifest.json"
FORMAT = 1
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # a manifest is a few kB; refuse to parse a huge file


class ManifestError(ValueError):
    """The directory has no readable manifest of ours."""


def serving_kind(kinds: Iterable[ModelKind]) -> ModelKind:
    """The model the stream scores with: the supervised one when there is one (labels existed
    at training), else the anomaly model."""
    present = set(kinds)
    if ModelKind.SUPERVISED in present:
        return ModelKind.SUPERVISED
    if ModelKind.ANOMALY in present:
        return ModelKind.ANOMALY
    raise ManifestError("the manifest lists no model")


@dataclass(frozen=True, slots=True)
class ModelEntry:
    kind: ModelKind
    estimator: str
    columns: tuple[str, ...]
    review_threshold: float
    decline_threshold: float
    file_intact: bool  # the file exists and its SHA-256 matches the manifest
    metrics: dict[str, Any] = field(default_factory=dict)  # in-sample, as `quadra train` saved them


@dataclass(frozen=True, slots=True)
class ModelManifest:
    version: str
    created_at: datetime | None
    label_delay_seconds: int | None
    training: dict[str, Any]  # input, from, to (days), orders, labelled, frauds
    models: dict[ModelKind, ModelEntry]

    @property
    def serving(self) -> ModelEntry:
        return self.models[serving_kind(self.models)]


def read_manifest(directory: Path) -> ModelManifest:
    path = directory / MANIFEST
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"no {MANIFEST} in the model directory") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"{MANIFEST} cannot be read: {e}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ManifestError(f"{MANIFEST}: unknown manifest format")
    if raw.get("feature_names") != list(FEATURE_NAMES):
        raise ManifestError(f"{MANIFEST}: trained on another feature layout")
    try:
        return _manifest(directory, raw)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ManifestError(f"{MANIFEST}: malformed ({e!r})") from None


def _manifest(directory: Path, raw: dict[str, Any]) -> ModelManifest:
    in_sample = raw.get("training_metrics_in_sample") or {}
    models: dict[ModelKind, ModelEntry] = {}
    for name, entry in dict(raw["models"]).items():
        kind = ModelKind(name)
        thresholds = entry["thresholds"]
        models[kind] = ModelEntry(
            kind, str(entry["estimator"]), tuple(str(c) for c in entry["columns"]),
            float(thresholds["review"]), float(thresholds["decline"]),
            _intact(directory, str(entry["file"]), str(entry["sha256"])), dict(in_sample.get(name) or {}),
        )  # fmt: skip
    serving_kind(models)  # at least one model
    delay = raw.get("label_delay_seconds")
    created = raw.get("created_at")
    return ModelManifest(
        str(raw["version"]), datetime.fromisoformat(created) if isinstance(created, str) else None,
        int(delay) if delay is not None else None, dict(raw.get("training") or {}), models,
    )  # fmt: skip


def _intact(directory: Path, name: str, sha256: str) -> bool:
    file = directory / name
    if file.parent != directory or not file.is_file():
        return False
    return hashlib.sha256(file.read_bytes()).hexdigest() == sha256


@dataclass(frozen=True, slots=True)
class ModelDirectory:
    """The configured model directory, read on demand; None when none is configured."""

    path: Path | None

    def read(self) -> ModelManifest | None:
        return None if self.path is None else read_manifest(self.path)
