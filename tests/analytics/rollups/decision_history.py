"""Decision histories for the decision rollup tests, stored as the sink stores them: rows
inserted into `decisions`, then the sink route's own after-insert hook (quadra.fraud_roles)
marks their days. Random histories have replays (identical and changed), several rules per
decision, scores at bucket edges, unscored decisions, and times at hour and day edges."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.fraud_rows import DECISION_COLUMNS
from quadra.fraud_roles import fraud_sink_routes
from streams.topics import TopicNames

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
D, H, MS = timedelta(days=1), timedelta(hours=1), timedelta(milliseconds=1)
COMPANIES = ("cmp_a", "cmp_b", "cmp_c")
RULES = ("card_burst@1", "card_burst@2", "amount_spike@1", "new_device@1", "velocity@3")
OUTCOMES = ("approved", "approved", "approved", "declined", "in_review")
SCORES = (0.0, 0.049, 0.05, 0.5, 0.999, 1.0, -1.0, float("nan"))  # bucket edges, no model


def row(order_id: str, company: str, at: datetime, outcome: str, score: float = 0.3,
        fired: list[str] | None = None, shadow: list[str] | None = None) -> tuple[Any, ...]:  # fmt: skip
    """A `decisions` row in DECISION_COLUMNS order."""
    return (order_id, company, at, outcome, score, 0, fired or [], shadow or [], [], "", [], "{}")


async def store(ch: ClickHouse, rows: list[tuple[Any, ...]]) -> None:
    """Insert, then the decisions route's after-insert hook: the sink's order."""
    await ch.insert("decisions", rows, DECISION_COLUMNS)
    (target,) = fraud_sink_routes(TopicNames(""))[0].targets
    assert target.table == "decisions" and target.after_insert is not None
    await target.after_insert(ch, rows)


def random_decisions(rnd: random.Random, n: int, days: int, prefix: str = "ord") -> list[tuple[Any, ...]]:
    rows = []
    for i in range(n):
        edge = rnd.random()
        if edge < 0.1:  # the last millisecond of an hour or of a day, or the first of one
            at = DAY0 + rnd.randrange(days) * D + rnd.choice((H, D, 0 * H)) - rnd.choice((MS, 0 * MS))
            at = max(at, DAY0)
        else:
            at = DAY0 + timedelta(milliseconds=rnd.randrange(days * 86_400_000))
        fired = rnd.sample(RULES, rnd.choice((0, 0, 1, 2)))
        shadow = rnd.sample(RULES, rnd.choice((0, 1)))
        if rnd.random() < 0.05:
            fired = fired + fired  # the same rule twice counts twice, as the panel's ARRAY JOIN does
        rows.append(row(f"{prefix}_{i}", rnd.choice(COMPANIES), at, rnd.choice(OUTCOMES),
                        rnd.choice(SCORES) if rnd.random() < 0.3 else rnd.random(), fired, shadow))  # fmt: skip
    return rows


def replays(rnd: random.Random, rows: list[tuple[Any, ...]], share: float) -> list[tuple[Any, ...]]:
    """Some rows again: most identical (a redelivered batch), some with another outcome, score
    and rules (the same key: ClickHouse keeps the last one stored)."""
    out = []
    for r in rnd.sample(rows, int(len(rows) * share)):
        if rnd.random() < 0.7:
            out.append(r)
        else:
            out.append(row(r[0], r[1], r[2], rnd.choice(OUTCOMES), rnd.random(), rnd.sample(RULES, 1), []))
    return out
