"""Decision samples for the model page against the embedded ClickHouse: model versions per
window, a bounded uniform sample of scores and features (missing ones NaN), the features
cited most, and hostile feature names that stay plain values; then the whole model page."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.clickhouse import ClickHouse
from analytics.decision_samples_repo import ClickHouseDecisionSamples
from analytics.fraud_rows import DECISION_COLUMNS, decision_row
from analytics.migrate import migrate
from api.staff.model_service import ModelDesk, ServingKind
from detectors.models.manifest import ModelDirectory
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


NOW = T0
H = timedelta(hours=1)


def _decision(n: int, at: datetime, score: float, amount: float, model: str, top: list[str]) -> dict[str, Any]:
    return {
        "order_id": f"ord_{n:032x}", "company_id": f"cmp_{n % 3}", "at": at, "outcome": "approved",
        "score": score, "points": 0, "fired_rules": [], "shadow_rules": [], "reasons": [], "model": model,
        "top_features": top, "features": {"amount": amount, "hour": float(at.hour)},
    }  # fmt: skip


@pytest.fixture
async def samples(clickhouse: ClickHouse) -> ClickHouseDecisionSamples:
    migrate(clickhouse)
    rng = np.random.default_rng(0)
    rows = []
    for n in range(1400):  # the 7 days before the last 24 h: model m-1, amounts around 1000
        at = NOW - 24 * H - (n % 168) * H - timedelta(minutes=1 + n % 58)
        rows.append(_decision(n, at, float(rng.uniform(0, 0.5)), float(rng.normal(1000, 100)), "m-1", ["amount"]))
    for n in range(1400, 1700):  # the last 24 h: model m-2, amounts around 3000, some without a model
        at = NOW - (n % 24) * H - timedelta(minutes=1 + n % 50)
        score, model = (-1.0, "") if n % 10 == 0 else (float(rng.uniform(0.4, 1.0)), "m-2")
        rows.append(_decision(n, at, score, float(rng.normal(3000, 100)), model, ["amount", "hour"] if n % 2 else []))
    await clickhouse.insert("decisions", [decision_row(d) for d in rows], DECISION_COLUMNS)
    return ClickHouseDecisionSamples(clickhouse)


async def test_samples_count_models_and_read_features(samples: ClickHouseDecisionSamples) -> None:
    recent = await samples.sample(NOW - 24 * H, NOW, ["amount", "hour", "not_stored"], 10_000)
    assert recent.decisions == 300 and recent.sampled == 300
    assert {m.version: m.decisions for m in recent.models} == {"m-2": 270, "": 30}
    assert sum(math.isnan(s) for s in recent.scores) == 30  # decided without a model
    assert 2500 < np.nanmean(recent.features["amount"]) < 3500
    assert all(math.isnan(v) for v in recent.features["not_stored"])


async def test_samples_are_bounded_and_spread_over_the_window(samples: ClickHouseDecisionSamples) -> None:
    reference = await samples.sample(NOW - 8 * 24 * H, NOW - 24 * H, ["amount"], 200)
    assert reference.decisions == 1400 and 100 <= reference.sampled <= 200
    assert {m.version for m in reference.models} == {"m-1"}


async def test_cited_features_most_first(samples: ClickHouseDecisionSamples) -> None:
    assert await samples.cited_features(NOW - 8 * 24 * H, NOW, 10) == ["amount", "hour"]
    assert await samples.cited_features(NOW - 8 * 24 * H, NOW, 1) == ["amount"]


@pytest.mark.parametrize("name", ["x' OR 1=1 --", "amount')) --", "{f0:String}", "🙂\x00", "a" * 10_000])
async def test_hostile_feature_names_are_plain_values(samples: ClickHouseDecisionSamples, name: str) -> None:
    recent = await samples.sample(NOW - 24 * H, NOW, [name], 1000)
    assert recent.decisions == 300 and all(math.isnan(v) for v in recent.features[name])


async def test_too_many_features_are_refused(samples: ClickHouseDecisionSamples) -> None:
    with pytest.raises(ValueError):
        await samples.sample(NOW - 24 * H, NOW, [f"f{i}" for i in range(33)], 10)


async def test_the_model_page_flags_the_shifted_score_and_amount(samples: ClickHouseDecisionSamples,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    desk = ModelDesk(ModelDirectory(None), samples, clock=lambda: NOW)
    page = await desk.page()
    assert page.kind is ServingKind.UNKNOWN and page.serving_version == "m-2" and not page.directory_configured
    assert page.drift.score.flagged and page.drift.score.psi is not None
    assert page.drift.features[0][0] == "amount" and page.drift.features[0][1].flagged
    assert len(page.drift.features) == 10  # cited first, then the feature layout's order
    broken = ModelDesk(ModelDirectory(tmp_path), samples, clock=lambda: NOW)
    page = await broken.page()
    assert page.directory_configured and page.manifest is None and "no manifest" in (page.manifest_error or "")
