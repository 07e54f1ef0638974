"""Samples of stored fraud decisions for the model page's drift check: per time window, how
many decisions each model version made, and a uniform sample of their scores and chosen
feature values; and which features decisions cite most as reasons.

Without FINAL: a decision replayed into the table twice until merges drop the copy weighs
twice in a distribution of thousands, which no index changes by a visible amount, and FINAL
over a week of decisions would cost more than the whole page. The sample is every k-th
decision by a hash of its order id (k from the window's count), so it spreads over the whole
window and a repeated read picks the same orders. Feature names are bound parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.common import utc

_AT = "DateTime64(3, 'UTC')"
_WINDOW = f"at >= {{at_from:{_AT}}} AND at < {{at_to:{_AT}}}"
MAX_FEATURES = 32


@dataclass(frozen=True, slots=True)
class ModelUse:
    version: str  # "" for decisions made without a model
    decisions: int
    last_at: datetime


@dataclass(frozen=True, slots=True)
class DecisionSample:
    decisions: int  # in the window
    models: list[ModelUse]  # per model version, latest use first
    scores: list[float]  # sampled decisions' scores (NaN: decided without a model)
    features: dict[str, list[float]] = field(default_factory=dict)  # NaN: not stored

    @property
    def sampled(self) -> int:
        return len(self.scores)


class ClickHouseDecisionSamples:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def cited_features(self, at_from: datetime, at_to: datetime, limit: int) -> list[str]:
        """The features most often among decisions' top reasons in [from, to), most first."""
        rows = await self._ch.query(
            f"SELECT feature, count() AS n FROM {self._ch.table('decisions')} ARRAY JOIN top_features AS feature "
            f"WHERE {_WINDOW} GROUP BY feature ORDER BY n DESC, feature LIMIT {{limit:UInt32}}",
            {"at_from": at_from, "at_to": at_to, "limit": limit},
        )
        return [str(name) for name, _ in rows]

    async def sample(
        self, at_from: datetime, at_to: datetime, features: Sequence[str], limit: int
    ) -> DecisionSample:
        """At most about `limit` decisions of [from, to), spread uniformly over the window."""
        if len(features) > MAX_FEATURES:
            raise ValueError(f"at most {MAX_FEATURES} features at once")
        params: dict[str, Any] = {"at_from": at_from, "at_to": at_to}
        used = await self._ch.query(
            f"SELECT model, count(), max(at) FROM {self._ch.table('decisions')} WHERE {_WINDOW} "
            "GROUP BY model ORDER BY max(at) DESC, model",
            params,
        )
        models = [ModelUse(str(v), int(n), utc(at)) for v, n, at in used]
        total = sum(m.decisions for m in models)
        if total == 0:
            return DecisionSample(0, [], [], {name: [] for name in features})
        columns = ["if(score >= 0, score, nan)"]
        for i, name in enumerate(features):
            columns.append(f"if(JSONHas(features, {{f{i}:String}}), JSONExtractFloat(features, {{f{i}:String}}), nan)")
            params[f"f{i}"] = name
        rows = await self._ch.query(
            f"SELECT {', '.join(columns)} FROM {self._ch.table('decisions')} WHERE {_WINDOW} "
            "AND cityHash64(order_id) % {every:UInt64} = 0 LIMIT {limit:UInt32}",
            {**params, "every": max(1, math.ceil(total / limit)), "limit": limit},
        )
        scores = [float(r[0]) for r in rows]
        values = {name: [float(r[i + 1]) for r in rows] for i, name in enumerate(features)}
        return DecisionSample(total, models, scores, values)
