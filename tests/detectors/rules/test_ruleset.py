"""A rule set over a batch: shadow rules reported only, priorities, points, hit counts."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from detectors.features.names import FEATURE_NAMES
from detectors.rules import NO_HITS, OrderAttributes, Rule, RuleAction, RuleHits, RuleMode, RuleSet, attributes_for
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from tests.detectors.rules.support import batch, context

FAST = Rule("fast", 1, "Fast", "user_count_1h >= 5", RuleAction.REVIEW, priority=10)
BIG = Rule("big", 2, "Big", "amount_major >= 1000", RuleAction.SCORE, points=40)
NEW = Rule("new", 1, "New", "user_rcpt_new", RuleAction.SCORE, points=20)
VIP = Rule("vip", 1, "VIP", 'company_id == "vip"', RuleAction.ALLOW, priority=20)
BAD_COUNTRY = Rule("bad_country", 1, "Bad", 'bin_country == "KP"', RuleAction.DECLINE, priority=30)
SHADOW_DECLINE = Rule("strict", 1, "Strict", "user_count_1h >= 1", RuleAction.DECLINE, priority=99,
                      mode=RuleMode.SHADOW)  # fmt: skip
SHADOW_POINTS = Rule("strict_points", 1, "Strict points", "amount > 0", RuleAction.SCORE, points=500,
                     mode=RuleMode.SHADOW)  # fmt: skip


def hits_of(rules: list[Rule], *contexts: dict[str, object]) -> list[RuleHits]:
    rule_set = RuleSet.compile(rules)
    matrix, orders = batch(*contexts)
    result = rule_set.evaluate(matrix, orders)
    assert rule_set.evaluate_reference(matrix, orders) == result
    return list(result.hits)


def test_points_add_up_and_the_decisive_rule_is_reported() -> None:
    h = hits_of([FAST, BIG, NEW], context(user_count_1h=7, amount=150000, user_rcpt_new=True))[0]
    assert [r.ref for r in h.active] == ["fast@v1", "big@v2", "new@v1"]
    assert h.points == 60 and h.decisive == FAST and h.action is RuleAction.REVIEW


def test_shadow_rules_are_reported_but_change_nothing() -> None:
    ctx = context(user_count_1h=7, amount=150000)
    without = hits_of([FAST, BIG], ctx)[0]
    with_shadow = hits_of([FAST, BIG, SHADOW_DECLINE, SHADOW_POINTS], ctx)[0]
    assert [r.id for r in with_shadow.shadow] == ["strict", "strict_points"]
    assert with_shadow.shadow_points == 500
    assert (with_shadow.active, with_shadow.points, with_shadow.decisive) == (
        without.active, without.points, without.decisive,
    )  # fmt: skip
    # A shadow rule firing alone: the order has no active hit at all.
    alone = hits_of([FAST, SHADOW_DECLINE], context(user_count_1h=1))[0]
    assert alone.active == () and alone.decisive is None and alone.fired


def test_highest_priority_decides_then_severity() -> None:
    h = hits_of([FAST, VIP, BAD_COUNTRY], context(company_id="vip", user_count_1h=9, card_bin="999101"))[0]
    assert h.decisive == BAD_COUNTRY  # 30 > 20 > 10
    h = hits_of([FAST, VIP], context(company_id="vip", user_count_1h=9))[0]
    assert h.decisive == VIP
    review = Rule("r", 1, "R", "amount > 0", RuleAction.REVIEW, priority=5)
    decline = Rule("d", 1, "D", "amount > 0", RuleAction.DECLINE, priority=5)
    allow = Rule("a", 1, "A", "amount > 0", RuleAction.ALLOW, priority=5)
    assert hits_of([allow, review, decline], context())[0].decisive == decline
    assert hits_of([allow, review], context())[0].decisive == review


def test_batch_keeps_order_and_counts_hits_per_rule_shadow_included() -> None:
    rule_set = RuleSet.compile([FAST, BIG, SHADOW_DECLINE])
    contexts = [context(), context(user_count_1h=6), context(amount=200000), context(user_count_1h=2)]
    matrix, orders = batch(*contexts)
    result = rule_set.evaluate(matrix, orders)
    assert [tuple(r.id for r in h.active) for h in result.hits] == [(), ("fast",), ("big",), ()]
    assert [tuple(r.id for r in h.shadow) for h in result.hits] == [(), ("strict",), (), ("strict",)]
    assert result.hits[0] is NO_HITS
    assert result.counts == {"strict@v1": 2, "fast@v1": 1, "big@v2": 1}


def test_empty_batch_and_empty_rule_set() -> None:
    empty = RuleSet.compile([FAST]).evaluate(np.zeros((0, len(FEATURE_NAMES))), [])
    assert empty.hits == () and empty.counts == {"fast@v1": 0}
    matrix, orders = batch(context())
    assert RuleSet.compile([]).evaluate(matrix, orders).hits == (NO_HITS,)


def test_constant_and_string_expressions_broadcast() -> None:
    always = Rule("always", 1, "Always", "true", RuleAction.REVIEW)
    prefix = Rule("prefix", 1, "Prefix", 'card_bin.startsWith("9991") && "x".contains("x")', RuleAction.REVIEW)
    hits = hits_of([always, prefix], context(), context(card_bin="999104"))
    assert [tuple(r.id for r in h.active) for h in hits] == [("always",), ("always", "prefix")]


def test_attributes_of_an_order() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    order = Order("o1", "c1", "k1", "p1", Money(123456, "JPY"), Recipient(RecipientKind.CARD, card_token="t",
                  card_bin="999101"), EndUser("eu_1"), at, (StatusChange(OrderStatus.RECEIVED, "", at),),
                  sandbox=False, product_type="gift_card")  # fmt: skip
    a = attributes_for(order)
    assert a == OrderAttributes("c1", 123456, "JPY", "card", "999101", "gift_card", False)
    assert a.amount_major == 123456  # JPY has no minor unit
    assert OrderAttributes("c1", 199999, "KWD", "card").amount_major == 199  # three decimals


def test_amount_is_exact_minor_units_from_the_order() -> None:
    # 2**53 + 1 minor units is not representable in the float64 feature matrix.
    exact = Rule("exact", 1, "Exact", "amount == 9007199254740993", RuleAction.REVIEW)
    assert hits_of([exact], context(amount=2**53 + 1))[0].decisive == exact
