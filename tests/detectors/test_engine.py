"""`assessments` (the stream's per-order assembly, with its shortcut for quiet orders) against
the plain reference: `decide` for every order, as before the shortcut."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from detectors.decision import DEFAULT_POLICY, DecisionPolicy, decide
from detectors.engine import Judges, assessments, rule_hits
from detectors.features import FEATURE_INDEX, FEATURE_NAMES
from detectors.lists import ListIndex
from detectors.lists.entries import ListEntry, ListKind, ListVerdict, identifiers_for
from detectors.models.scorer import ScoreBatch, Scorer
from detectors.models.train import train_supervised
from detectors.rules import RuleSet
from detectors.rules.defaults import DEFAULT_RULES
from detectors.rules.ruleset import RuleHits
from detectors.sandbox import sandbox_verdict
from domain.fraud import Assessment
from domain.orders import Order
from tests.builders import T0
from tests.detectors.test_sandbox import card, order, phone


def reference(
    judges: Judges, orders: Sequence[Order], matrix: np.ndarray, hits: Sequence[RuleHits], batch: ScoreBatch | None
) -> list[Assessment]:
    """The assembly before the quiet-order shortcut, kept as the reference."""
    policy = judges.points
    if batch is not None and judges.scorer is not None:
        policy = DecisionPolicy(policy.points, judges.scorer.model.thresholds)
    lists = judges.lists if judges.lists else None
    scores = batch.scores.tolist() if batch is not None else [None] * len(orders)
    reasons = batch.reasons if batch is not None else [()] * len(orders)
    out = []
    for o, row, h, score, top in zip(orders, matrix.tolist(), hits, scores, reasons):
        matches = lists.match(identifiers_for(o), o.company_id, o.created_at) if lists else ()
        d = decide(h, matches, score, policy)
        status, why = d.status, d.reasons or ("no fraud signal",)
        forced = sandbox_verdict(o)
        if forced is not None:
            status, why = forced.status, (forced.reason,)
        out.append(Assessment(
            status, why, score=score, points=d.points, fired_rules=d.rules, shadow_rules=d.shadow_rules,
            model_version=judges.model_version, top_features=top, features=dict(zip(FEATURE_NAMES, row)),
        ))  # fmt: skip
    return out


def mixed_batch(n: int = 400) -> tuple[list[Order], np.ndarray]:
    """Live and sandbox orders (magic and plain), cards and phones, amounts from quiet to
    rule-firing, random features."""
    rng = np.random.default_rng(5)
    recipients = [card("4111111111111111"), card("4242424242480004"), phone("+15005550005"), phone("+4915112345678")]
    orders = [
        order(recipients[i % 4], amount=int(rng.choice([1500, 9904, 250_000, 2_000_000])),
              sandbox=bool(i % 3 == 0), n=i, user=f"u-{i % 7}")
        for i in range(n)
    ]  # fmt: skip
    matrix = rng.normal(size=(n, len(FEATURE_NAMES)))
    matrix[:, FEATURE_INDEX["amount"]] = [o.amount.value for o in orders]
    matrix[:, FEATURE_INDEX["user_count_1h"]] = rng.integers(0, 12, size=n)
    matrix[:, FEATURE_INDEX["user_distinct_rcpt_24h"]] = rng.integers(0, 8, size=n)
    return orders, matrix


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, len(FEATURE_NAMES)))
    y = (x[:, FEATURE_INDEX["user_amount_z_30d"]] > 1.0).astype(np.int64)
    return Scorer(train_supervised(x, y, {"max_iter": 30, "early_stopping": False, "random_state": 0}))


def lists() -> ListIndex:
    block = ListEntry.create(ListKind.END_USER, "u-3", ListVerdict.BLOCK, None, "test", "analyst", T0)
    allow = ListEntry.create(ListKind.END_USER, "u-5", ListVerdict.ALLOW, "cmp_a", "test", "analyst", T0)
    return ListIndex([block, allow])


@pytest.mark.parametrize("with_model", [True, False], ids=["model", "no model"])
@pytest.mark.parametrize("with_lists", [True, False], ids=["lists", "no lists"])
def test_assessments_equal_the_reference(scorer: Scorer, with_model: bool, with_lists: bool) -> None:
    judges = Judges(
        RuleSet.compile(DEFAULT_RULES), lists() if with_lists else ListIndex(),
        scorer if with_model else None, "m-test" if with_model else "", DEFAULT_POLICY,
    )  # fmt: skip
    orders, matrix = mixed_batch()
    hits = rule_hits(judges, orders, matrix)
    batch = scorer.score(matrix) if with_model else None
    got = assessments(judges, orders, matrix, hits, batch)
    want = reference(judges, orders, matrix, hits, batch)
    assert got == want
    statuses = {a.status for a in got}
    assert len(statuses) == 3  # the batch exercises approvals, reviews and declines
    assert any(a.reasons == ("no fraud signal",) for a in got)  # and the shortcut
