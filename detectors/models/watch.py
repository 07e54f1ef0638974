"""Hot reload of the model directory: `quadra train --model-out DIR` replaces the manifest
last, so a changed manifest means a complete new model set. A directory that fails to load
(half copied, altered, another feature layout) keeps the previous models in service."""

from __future__ import annotations

import logging
from pathlib import Path

from detectors.models.manifest import serving_kind
from detectors.models.scorer import Scorer
from detectors.models.store import MANIFEST, ModelFileError, ModelSet, load_models

log = logging.getLogger(__name__)


class ModelWatcher:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._seen: tuple[int, int] | None = None  # the manifest's (mtime_ns, size)
        self.models: ModelSet | None = None
        self.scorer: Scorer | None = None
        self.last_error: str | None = None

    def refresh(self) -> bool:
        """Load the directory if its manifest changed; True when new models went into service."""
        try:
            stat = (self._directory / MANIFEST).stat()
        except FileNotFoundError:
            return False
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return False
        self._seen = seen
        try:
            models = load_models(self._directory)
        except ModelFileError as exc:
            self.last_error = str(exc)
            log.error("fraud model in %s not loaded, keeping the previous one: %s", self._directory, exc)
            return False
        model = models.models[serving_kind(models.models)]
        self.models, self.scorer, self.last_error = models, Scorer(model), None
        log.info("fraud model %s (%s) in service", models.version, model.kind.value)
        return True
