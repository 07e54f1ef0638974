"""The decision policy: allow rules, then lists, then rules, points and model score."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from detectors.decision import DEFAULT_POLICY, DecisionPolicy, Outcome, PointThresholds, decide
from detectors.lists import ListEntry, ListKind, ListVerdict
from detectors.models.model import Thresholds
from detectors.rules import NO_HITS, Rule, RuleAction, RuleHits, RuleMode, RuleSet
from detectors.rules.defaults import DEFAULT_RULES
from domain.orders import OrderStatus
from tests.detectors.rules.support import batch, context

T0 = datetime(2026, 3, 1, tzinfo=UTC)
VIP = Rule("vip", 1, "VIP", "sandbox", RuleAction.ALLOW, priority=20)
FAST = Rule("fast", 1, "Fast", "user_count_1h >= 5", RuleAction.REVIEW, priority=10)
BAD = Rule("bad", 3, "Bad", "amount > 0", RuleAction.DECLINE, priority=30)
BIG = Rule("big", 2, "Big", "amount > 0", RuleAction.SCORE, points=40)
NEW = Rule("new", 1, "New", "amount > 0", RuleAction.SCORE, points=20)
HUGE = Rule("huge", 1, "Huge", "amount > 0", RuleAction.SCORE, points=60)
STRICT = Rule("strict", 1, "Strict", "amount > 0", RuleAction.DECLINE, priority=99, mode=RuleMode.SHADOW)
CARD_BLOCK = ListEntry.create(ListKind.CARD_TOKEN, "tok_A", ListVerdict.BLOCK, None, "fraud", "analyst", T0)
USER_ALLOW = ListEntry.create(ListKind.END_USER, "eu_1", ListVerdict.ALLOW, "c1", "verified", "analyst", T0)
MODEL = DecisionPolicy(model=Thresholds(review=0.5, decline=0.9))


def hits(*fired: Rule) -> RuleHits:
    """What a rule set reports when exactly these rules fire (so the decisive rule is real)."""
    rules = RuleSet.compile([Rule(r.id, r.version, r.name, "true", r.action, r.points, r.priority, r.mode)
                             for r in fired])  # fmt: skip
    matrix, orders = batch(context())
    found = rules.evaluate(matrix, orders).hits[0]
    return RuleHits(
        tuple(next(r for r in fired if r.id == h.id) for h in found.active),
        tuple(next(r for r in fired if r.id == h.id) for h in found.shadow),
        found.points, found.shadow_points,
        None if found.decisive is None else next(r for r in fired if r.id == found.decisive.id),
    )  # fmt: skip


# name: (hits, list matches, model score, policy, outcome, reasons)
CASES = {
    "nothing": (NO_HITS, [], None, DEFAULT_POLICY, Outcome.APPROVED, []),
    "allow rule beats list block and model": (
        hits(VIP, FAST), [CARD_BLOCK], 0.99, MODEL, Outcome.APPROVED, ["rule vip v1: allow"],
    ),
    "a higher-priority decline rule beats the allow rule": (
        hits(VIP, BAD), [], None, DEFAULT_POLICY, Outcome.DECLINED, ["rule bad v3: decline"],
    ),
    "list block beats rules": (
        hits(FAST), [CARD_BLOCK], None, DEFAULT_POLICY, Outcome.DECLINED, ["list: card_token blocked (global)"],
    ),
    "list allow beats decline rule and model": (
        hits(BAD), [USER_ALLOW], 0.99, MODEL, Outcome.APPROVED, ["list: end_user allowed (company c1)"],
    ),
    "list block beats list allow": (
        NO_HITS, [USER_ALLOW, CARD_BLOCK], None, DEFAULT_POLICY, Outcome.DECLINED,
        ["list: card_token blocked (global)"],
    ),
    "review rule": (hits(FAST), [], None, DEFAULT_POLICY, Outcome.IN_REVIEW, ["rule fast v1: review"]),
    "decline rule": (hits(BAD, FAST), [], None, DEFAULT_POLICY, Outcome.DECLINED, ["rule bad v3: decline"]),
    "points below review": (hits(BIG), [], None, DEFAULT_POLICY, Outcome.APPROVED, []),
    "points at review": (
        hits(BIG, NEW), [], None, DEFAULT_POLICY, Outcome.IN_REVIEW, ["rule points 60 ≥ 50 (big v2 +40, new v1 +20)"],
    ),
    "points at decline": (
        hits(BIG, HUGE), [], None, DEFAULT_POLICY, Outcome.DECLINED,
        ["rule points 100 ≥ 100 (big v2 +40, huge v1 +60)"],
    ),
    "model decline": (NO_HITS, [], 0.93, MODEL, Outcome.DECLINED, ["model score 0.93 ≥ 0.9"]),
    "model review": (NO_HITS, [], 0.6, MODEL, Outcome.IN_REVIEW, ["model score 0.60 ≥ 0.5"]),
    "model below review": (NO_HITS, [], 0.49, MODEL, Outcome.APPROVED, []),
    "no model thresholds: the score only informs": (NO_HITS, [], 0.99, DEFAULT_POLICY, Outcome.APPROVED, []),
    "no model loaded": (NO_HITS, [], None, MODEL, Outcome.APPROVED, []),
    "the strongest signal wins, every signal is a reason": (
        hits(FAST, BIG, NEW), [], 0.95, MODEL, Outcome.DECLINED,
        ["rule fast v1: review", "rule points 60 ≥ 50 (big v2 +40, new v1 +20)", "model score 0.95 ≥ 0.9"],
    ),
    "a shadow decline alone changes nothing": (hits(STRICT), [], None, DEFAULT_POLICY, Outcome.APPROVED, []),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_precedence(name: str) -> None:
    rule_hits, matches, score, policy, outcome, reasons = CASES[name]
    d = decide(rule_hits, matches, score, policy)
    assert (d.outcome, list(d.reasons)) == (outcome, reasons)
    assert d.rules == tuple(r.ref for r in rule_hits.active) and d.score == score
    assert d.lists == tuple(e.key for e in matches)


def test_shadow_rules_are_recorded_but_never_change_a_decision() -> None:
    plain = RuleSet.compile(DEFAULT_RULES)
    shadows = [
        Rule("s_decline", 1, "S", "amount > 0", RuleAction.DECLINE, priority=1000, mode=RuleMode.SHADOW),
        Rule("s_allow", 1, "S", "user_count_1h >= 5", RuleAction.ALLOW, priority=1000, mode=RuleMode.SHADOW),
        Rule("s_points", 1, "S", "amount > 0", RuleAction.SCORE, points=1000, mode=RuleMode.SHADOW),
    ]
    shadowed = RuleSet.compile([*DEFAULT_RULES, *shadows])
    contexts = [context(), context(user_count_1h=6), context(card_bin="999101", user_count_1h=9),
                context(user_rcpt_new=True, amount=90000, user_amount_ratio_typical=9.0)]  # fmt: skip
    matrix, orders = batch(*contexts)
    for score in (None, 0.2, 0.7, 0.95):
        for matches in ([], [USER_ALLOW], [CARD_BLOCK]):
            for a, b in zip(plain.evaluate(matrix, orders).hits, shadowed.evaluate(matrix, orders).hits):
                without, with_shadow = decide(a, matches, score, MODEL), decide(b, matches, score, MODEL)
                assert with_shadow.shadow_rules and not without.shadow_rules
                assert (with_shadow.outcome, with_shadow.reasons, with_shadow.rules, with_shadow.points) == (
                    without.outcome, without.reasons, without.rules, without.points,
                )  # fmt: skip
    outcomes = {decide(h, [], None, MODEL).outcome for h in plain.evaluate(matrix, orders).hits}
    assert outcomes == {Outcome.APPROVED, Outcome.IN_REVIEW, Outcome.DECLINED}  # the check means something


def test_domain_decision_and_json() -> None:
    d = decide(hits(FAST, STRICT), [], 0.3, MODEL)
    assert d.to_domain().status is OrderStatus.IN_REVIEW and d.to_domain().reason == "rule fast v1: review"
    assert decide(NO_HITS).to_domain().reason == "no fraud signal"
    assert d.to_dict() == {
        "outcome": "in_review", "score": 0.3, "points": 0, "rules": ["fast@v1"], "shadow_rules": ["strict@v1"],
        "lists": [], "reasons": ["rule fast v1: review"],
    }  # fmt: skip


@pytest.mark.parametrize(("review", "decline"), [(0, 10), (50, 40), (True, 10)])
def test_bad_point_thresholds(review: int, decline: int) -> None:
    with pytest.raises(ValueError):
        PointThresholds(review, decline)
