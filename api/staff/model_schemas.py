"""Wire schemas of the staff model page: the model in force and the drift of its inputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from analytics.decision_samples_repo import ModelUse
from api.staff.model_service import ModelPage, ServingKind, Window
from detectors.drift import Stability
from detectors.models.manifest import ModelEntry


class MetricsOut(BaseModel):
    scope: Literal["in_sample"] = Field(
        "in_sample", description="Measured by `quadra train` on its own training rows: a sanity check, "
        "not an estimate (run `quadra backtest` on a later period for that)",
    )  # fmt: skip
    roc_auc: float | None
    average_precision: float | None
    precision_at_100: float | None = Field(description="Card precision@100 end users per day")
    precision_at_100_best_possible: float | None
    rows: int | None = Field(description="Training rows the metrics were measured on")

    @classmethod
    def from_saved(cls, m: dict[str, Any]) -> MetricsOut | None:
        if not m:
            return None
        return cls(
            roc_auc=_number(m.get("roc_auc")), average_precision=_number(m.get("average_precision")),
            precision_at_100=_number(m.get("card_precision_at_100")),
            precision_at_100_best_possible=_number(m.get("card_precision_at_100_best_possible")),
            rows=_int(m.get("rows_sampled")),
        )  # fmt: skip


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


class ThresholdsOut(BaseModel):
    review: float = Field(description="Score at or above: held for review")
    decline: float = Field(description="Score at or above: declined")


class ModelEntryOut(BaseModel):
    kind: str
    estimator: str
    file_intact: bool = Field(description="The file is there and matches the manifest's checksum")
    thresholds: ThresholdsOut
    metrics: MetricsOut | None
    features: list[str]

    @classmethod
    def from_entry(cls, e: ModelEntry) -> ModelEntryOut:
        return cls(
            kind=e.kind.value, estimator=e.estimator, file_intact=e.file_intact,
            thresholds=ThresholdsOut(review=e.review_threshold, decline=e.decline_threshold),
            metrics=MetricsOut.from_saved(e.metrics), features=list(e.columns),
        )  # fmt: skip


class TrainingOut(BaseModel):
    date_from: str | None = Field(serialization_alias="from", description="First training day (UTC)")
    date_to: str | None = Field(serialization_alias="to", description="Last training day, included")
    orders: int | None
    labelled: int | None
    frauds: int | None
    input: str | None = Field(description="The training file's name")


class ModelUseOut(BaseModel):
    version: str = Field(description="'' for decisions made by rules and lists alone")
    decisions: int
    last_at: datetime

    @classmethod
    def from_use(cls, m: ModelUse) -> ModelUseOut:
        return cls(version=m.version, decisions=m.decisions, last_at=m.last_at)


class WindowOut(BaseModel):
    at_from: datetime = Field(serialization_alias="from")
    at_to: datetime = Field(serialization_alias="to")
    decisions: int
    sampled: int = Field(description="Decisions the distributions were measured on (a uniform sample)")
    models: list[ModelUseOut] = Field(description="Decisions per model version, latest use first")

    @classmethod
    def from_window(cls, w: Window) -> WindowOut:
        s = w.sample
        return cls(at_from=w.at_from, at_to=w.at_to, decisions=s.decisions, sampled=s.sampled,
                   models=[ModelUseOut.from_use(m) for m in s.models])  # fmt: skip


class BinOut(BaseModel):
    upper: float | None = Field(description="Inclusive upper edge; null: the last bin, open above")
    reference_share: float
    recent_share: float


class StabilityOut(BaseModel):
    name: str
    psi: float | None = Field(description="Population stability index; null with fewer than 50 values on a side")
    flagged: bool
    reference_count: int
    recent_count: int
    bins: list[BinOut] = Field(description="The reference's deciles (one bin per value for few distinct values)")

    @classmethod
    def from_stability(cls, name: str, s: Stability) -> StabilityOut:
        return cls(
            name=name, psi=s.psi, flagged=s.flagged, reference_count=s.reference_count, recent_count=s.recent_count,
            bins=[BinOut(upper=b.upper, reference_share=b.reference_share, recent_share=b.recent_share) for b in s.bins],
        )  # fmt: skip


class DriftOut(BaseModel):
    threshold: float = Field(description="A PSI above this is flagged")
    recent: WindowOut = Field(description="The last 24 hours")
    reference: WindowOut = Field(description="The 7 days before them")
    score: StabilityOut
    features: list[StabilityOut] = Field(description="Most shifted first")


class ModelPageOut(BaseModel):
    object: Literal["fraud_model"] = "fraud_model"
    kind: ServingKind = Field(description="supervised or anomaly; none: decisions use rules and lists alone; "
                              "unknown: a model serves whose directory this process cannot read")  # fmt: skip
    version: str | None = Field(description="The model directory's version")
    serving_version: str | None = Field(description="The version the newest decision names ('' no model; "
                                        "null: no decision in 8 days)")  # fmt: skip
    in_service: bool | None = Field(description="The stream serves the directory's model; null when unknown")
    directory_configured: bool
    manifest_error: str | None
    trained_at: datetime | None
    label_delay_seconds: int | None
    training: TrainingOut | None
    model: ModelEntryOut | None = Field(description="The model the stream scores with (supervised if present)")
    other_models: list[ModelEntryOut]
    drift: DriftOut
    computed_at: datetime = Field(description="The page is computed at most once a minute")

    @classmethod
    def from_page(cls, p: ModelPage) -> ModelPageOut:
        m = p.manifest
        t = m.training if m is not None else None
        training = None if t is None else TrainingOut(
            date_from=_text(t.get("from")), date_to=_text(t.get("to")), orders=_int(t.get("orders")),
            labelled=_int(t.get("labelled")), frauds=_int(t.get("frauds")), input=_text(t.get("input")),
        )  # fmt: skip
        serving = m.serving if m is not None else None
        d = p.drift
        return cls(
            kind=p.kind, version=m.version if m else None, serving_version=p.serving_version, in_service=p.in_service,
            directory_configured=p.directory_configured, manifest_error=p.manifest_error,
            trained_at=m.created_at if m else None, label_delay_seconds=m.label_delay_seconds if m else None,
            training=training, model=ModelEntryOut.from_entry(serving) if serving else None,
            other_models=[ModelEntryOut.from_entry(e) for e in (m.models.values() if m else ()) if e is not serving],
            drift=DriftOut(
                threshold=d.threshold, recent=WindowOut.from_window(d.recent),
                reference=WindowOut.from_window(d.reference), score=StabilityOut.from_stability("score", d.score),
                features=[StabilityOut.from_stability(n, s) for n, s in d.features],
            ),
            computed_at=p.computed_at,
        )  # fmt: skip


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
