"""The fraud decision of one order, from its rule hits, list matches and model score.

Precedence, as DESIGN.md "Fraud detection" orders it:
1. Allow rules: if the decisive rule (the highest-priority fired active rule, see
   detectors.rules.ruleset) is an allow rule, the order is approved; nothing else applies.
   A decline or review rule with a higher priority than the allow rule decides instead.
2. Lists: any active block entry matching the order declines it; otherwise any allow entry
   approves it (rules and model are then not applied). Block beats allow within the lists.
3. Rules and scores: the strongest of the decisive rule's action (review, decline), the rule
   points against their thresholds, and the model score against its thresholds. Every signal
   at or above review is a reason.

Shadow rules never enter this function's outcome; they are recorded in `shadow_rules`.
A pure function of plain inputs: the stream and the offline backtest call the same code.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from detectors.lists.entries import ListEntry, ListVerdict
from detectors.models.model import Thresholds
from detectors.rules.model import RuleAction
from detectors.rules.ruleset import RuleHits
from domain.intake import Decision
from domain.orders import OrderStatus


class Outcome(str, enum.Enum):
    APPROVED = "approved"
    IN_REVIEW = "in_review"
    DECLINED = "declined"

    @property
    def status(self) -> OrderStatus:
        return OrderStatus(self.value)


_RANK = {Outcome.APPROVED: 0, Outcome.IN_REVIEW: 1, Outcome.DECLINED: 2}


@dataclass(frozen=True, slots=True)
class PointThresholds:
    review: int  # rule points at or above: held for review
    decline: int  # rule points at or above: declined

    def __post_init__(self) -> None:
        for value in (self.review, self.decline):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError("point thresholds must be positive integers")
        if self.decline < self.review:
            raise ValueError("the decline threshold must not be below the review threshold")


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    points: PointThresholds = PointThresholds(review=50, decline=100)
    model: Thresholds | None = None  # the loaded model's thresholds; None: the score only informs


DEFAULT_POLICY = DecisionPolicy()


@dataclass(frozen=True, slots=True)
class FraudDecision:
    outcome: Outcome
    score: float | None  # the model's score, None without a model
    points: int  # the fired active score rules' points
    rules: tuple[str, ...]  # fired active rules, "id@vN", decisive order
    shadow_rules: tuple[str, ...]  # fired shadow rules, "id@vN": not enforced
    lists: tuple[str, ...]  # matched list entries, as their keys
    reasons: tuple[str, ...]  # human-readable, the signals that made the outcome

    @property
    def status(self) -> OrderStatus:
        return self.outcome.status

    def to_domain(self) -> Decision:
        """The intake's Decision: the status and the reasons joined."""
        return Decision(self.status, "; ".join(self.reasons) or "no fraud signal")

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "score": self.score,
            "points": self.points,
            "rules": list(self.rules),
            "shadow_rules": list(self.shadow_rules),
            "lists": list(self.lists),
            "reasons": list(self.reasons),
        }


def decide(
    hits: RuleHits,
    matches: Sequence[ListEntry] = (),
    score: float | None = None,
    policy: DecisionPolicy = DEFAULT_POLICY,
) -> FraudDecision:
    if quiet(hits, matches, score, policy.model):
        return FraudDecision(Outcome.APPROVED, score, hits.points, (), (), (), ())

    def result(outcome: Outcome, reasons: list[str]) -> FraudDecision:
        return FraudDecision(
            outcome,
            score,
            hits.points,
            tuple(r.ref for r in hits.active),
            tuple(r.ref for r in hits.shadow),
            tuple(e.key for e in matches),
            tuple(reasons),
        )

    decisive = hits.decisive
    if decisive is not None and decisive.action is RuleAction.ALLOW:
        return result(Outcome.APPROVED, [_rule_reason(decisive.id, decisive.version, "allow")])

    blocks = [e for e in matches if e.verdict is ListVerdict.BLOCK]
    if blocks:
        return result(Outcome.DECLINED, [f"list: {e.describe()}" for e in blocks])
    allows = [e for e in matches if e.verdict is ListVerdict.ALLOW]
    if allows:
        return result(Outcome.APPROVED, [f"list: {e.describe()}" for e in allows])

    outcome = Outcome.APPROVED
    reasons: list[str] = []
    if decisive is not None:  # review or decline
        outcome = Outcome.DECLINED if decisive.action is RuleAction.DECLINE else Outcome.IN_REVIEW
        reasons.append(_rule_reason(decisive.id, decisive.version, decisive.action.value))

    points = policy.points
    level = _level(hits.points, points.review, points.decline)
    if level is not Outcome.APPROVED:
        threshold = points.decline if level is Outcome.DECLINED else points.review
        parts = ", ".join(f"{r.id} v{r.version} {r.points:+d}" for r in hits.active if r.action is RuleAction.SCORE)
        reasons.append(f"rule points {hits.points} ≥ {threshold} ({parts})")
        outcome = max(outcome, level, key=_RANK.__getitem__)

    if score is not None and policy.model is not None:
        model = policy.model
        level = _level(score, model.review, model.decline)
        if level is not Outcome.APPROVED:
            cut = model.decline if level is Outcome.DECLINED else model.review
            reasons.append(f"model score {score:.2f} ≥ {cut:g}")
            outcome = max(outcome, level, key=_RANK.__getitem__)
    return result(outcome, reasons)


def quiet(hits: RuleHits, matches: Sequence[ListEntry], score: float | None, model: Thresholds | None) -> bool:
    """Nothing fired, nothing listed, the score (if any) below review: approved with no reason.
    Most orders; the stream builds their assessment without a `FraudDecision`."""
    if hits.active or hits.shadow or matches:
        return False
    return score is None or model is None or (score < model.review and score < model.decline)


def _rule_reason(rule_id: str, version: int, action: str) -> str:
    return f"rule {rule_id} v{version}: {action}"


def _level(value: float, review: float, decline: float) -> Outcome:
    if value >= decline:
        return Outcome.DECLINED
    if value >= review:
        return Outcome.IN_REVIEW
    return Outcome.APPROVED
