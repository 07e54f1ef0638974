"""Use case behind the staff model page: the fraud model in force and how far recent
decisions drifted from the week before.

The API process does not score (the intake does), so it reads what the stream reads: the
model directory's manifest (no model is loaded here), and, for which version actually
serves, the newest stored decision. Drift compares the last 24 h of decisions with the 7 days
before them: the score and the most telling features, each with a population stability
index (detectors.drift), flagged above 0.2. The page is cached briefly: a week of decisions
changes little in a minute, and reading it is the page's whole cost.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from analytics.decision_samples_repo import DecisionSample
from detectors.drift import FLAG_ABOVE, Stability, stability
from detectors.features.names import FEATURE_NAMES
from detectors.models.manifest import ManifestError, ModelManifest

RECENT = timedelta(hours=24)
REFERENCE = timedelta(days=7)
TOP_FEATURES = 10
SAMPLE_LIMIT = 20_000  # decisions per window: PSI over deciles is steady long before that
CACHE_FOR = timedelta(seconds=60)


class ModelDirectory(Protocol):
    def read(self) -> ModelManifest | None:
        """The manifest; None when no model directory is configured. Raises ManifestError."""


class DecisionSamples(Protocol):
    async def cited_features(self, at_from: datetime, at_to: datetime, limit: int) -> list[str]: ...

    async def sample(self, at_from: datetime, at_to: datetime, features: Sequence[str], limit: int) -> DecisionSample: ...


class ServingKind(str, enum.Enum):
    SUPERVISED = "supervised"
    ANOMALY = "anomaly"
    NONE = "none"  # recent decisions were made by rules and lists alone
    UNKNOWN = "unknown"  # a model serves, but this process cannot read its directory


@dataclass(frozen=True, slots=True)
class Window:
    at_from: datetime
    at_to: datetime
    sample: DecisionSample


@dataclass(frozen=True, slots=True)
class Drift:
    recent: Window
    reference: Window
    threshold: float
    score: Stability
    features: list[tuple[str, Stability]]  # most shifted first; features without an index last


@dataclass(frozen=True, slots=True)
class ModelPage:
    kind: ServingKind
    directory_configured: bool
    manifest: ModelManifest | None
    manifest_error: str | None  # the directory is configured but not readable as a model
    serving_version: str | None  # the model named by the newest decision ("" rules only)
    drift: Drift
    computed_at: datetime

    @property
    def in_service(self) -> bool | None:
        """Whether the stream serves the directory's model; None when either is unknown."""
        if self.manifest is None or self.serving_version is None:
            return None
        return self.serving_version == self.manifest.version


def _now() -> datetime:
    return datetime.now(UTC)


class ModelDesk:
    def __init__(
        self, directory: ModelDirectory, samples: DecisionSamples, clock: Callable[[], datetime] = _now,
        cache_for: timedelta = CACHE_FOR, top_features: int = TOP_FEATURES, sample_limit: int = SAMPLE_LIMIT,
    ) -> None:  # fmt: skip
        self._directory = directory
        self._samples = samples
        self._clock = clock
        self._cache_for = cache_for
        self._top = top_features
        self._limit = sample_limit
        self._cached: ModelPage | None = None
        self._lock = asyncio.Lock()

    async def page(self) -> ModelPage:
        async with self._lock:  # one computation at a time; the others take its result
            now = self._clock()
            if self._cached is None or now - self._cached.computed_at >= self._cache_for:
                self._cached = await self._compute(now)
            return self._cached

    async def _compute(self, now: datetime) -> ModelPage:
        manifest, error, configured = None, None, True
        try:
            manifest = await asyncio.to_thread(self._directory.read)
            configured = manifest is not None
        except ManifestError as e:
            error = str(e)
        drift = await self._drift(now, manifest)
        serving = _serving_version(drift)
        return ModelPage(_kind(manifest, serving), configured, manifest, error, serving, drift, now)

    async def _drift(self, now: datetime, manifest: ModelManifest | None) -> Drift:
        split, start = now - RECENT, now - RECENT - REFERENCE
        features = await self._features(start, now, manifest)
        reference = await self._samples.sample(start, split, features, self._limit)
        recent = await self._samples.sample(split, now, features, self._limit)
        score = stability(np.array(reference.scores), np.array(recent.scores))
        per_feature = [(n, stability(np.array(reference.features[n]), np.array(recent.features[n]))) for n in features]
        per_feature.sort(key=lambda item: (item[1].psi is None, -(item[1].psi or 0.0)))
        return Drift(Window(split, now, recent), Window(start, split, reference), FLAG_ABOVE, score, per_feature)

    async def _features(self, start: datetime, now: datetime, manifest: ModelManifest | None) -> list[str]:
        """The features decisions cite most as reasons, then the model's columns in its own
        order (or the feature layout's), up to the page's count."""
        cited = await self._samples.cited_features(start, now, self._top)
        columns = manifest.serving.columns if manifest is not None else FEATURE_NAMES
        known = set(FEATURE_NAMES)
        chosen = [c for c in cited if c in known]
        chosen += [c for c in columns if c not in chosen]
        return chosen[: self._top]


def _serving_version(drift: Drift) -> str | None:
    uses = [*drift.recent.sample.models, *drift.reference.sample.models]
    return max(uses, key=lambda m: m.last_at).version if uses else None


def _kind(manifest: ModelManifest | None, serving: str | None) -> ServingKind:
    if serving is None:  # no decision in the windows: the directory is all there is to go by
        return ServingKind(manifest.serving.kind.value) if manifest is not None else ServingKind.NONE
    if serving == "":
        return ServingKind.NONE  # the newest decision was made without a model
    if manifest is not None and serving == manifest.version:
        return ServingKind(manifest.serving.kind.value)
    return ServingKind.UNKNOWN  # a model serves that this process cannot read (or an older one)
