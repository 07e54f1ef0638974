"""Each default payout rule fires on its pattern and not on a near miss nor on a quiet order."""

from __future__ import annotations

from typing import Any

import pytest

from detectors.rules import RuleAction, RuleSet
from detectors.rules.defaults import BLOCKED_BIN_COUNTRIES, DEFAULT_RULES
from tests.detectors.rules.support import BENIGN, batch, context

RULES = RuleSet.compile(DEFAULT_RULES)

# rule id: (contexts it fires on, near misses it must not fire on)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "blocked_bin_country": (
        [context(card_bin="999101")],  # KP in the sample BIN directory
        [context(card_bin="998001"), context(card_bin="999101", rcpt_is_card=False, recipient_kind="phone")],
    ),
    "card_testing": (
        [context(rcpt_count_1h=6, rcpt_sum_1h=600, amount=100)],
        [context(rcpt_count_1h=6, rcpt_sum_1h=6000, amount=100),  # not small on average
         context(rcpt_count_1h=4, rcpt_sum_1h=400, amount=100),  # not enough
         context(rcpt_count_1h=6, rcpt_sum_1h=600, amount=5000)],  # this one is not small
    ),
    "many_users_one_card": (
        [context(rcpt_distinct_users_24h=3, rcpt_age_days=0.5), context(rcpt_distinct_users_24h=5, rcpt_age_days=90.0)],
        [context(rcpt_distinct_users_24h=2, rcpt_age_days=0.5),
         context(rcpt_distinct_users_24h=4, rcpt_age_days=1.0),  # an older card needs five
         context(rcpt_distinct_users_24h=5, rcpt_age_days=0.0, rcpt_is_card=False, recipient_kind="phone")],
    ),
    "one_user_many_cards": (
        [context(user_distinct_rcpt_24h=4, user_rcpt_new=True, user_count_1h=2, user_count_24h=4)],
        [context(user_distinct_rcpt_24h=3, user_rcpt_new=True, user_count_1h=2),
         context(user_distinct_rcpt_24h=4, user_rcpt_new=False, user_count_1h=2),  # a known card
         context(user_distinct_rcpt_24h=4, user_rcpt_new=True, user_count_1h=1)],  # no burst
    ),
    "velocity_user_1h": ([context(user_count_1h=5, user_count_24h=5)], [context(user_count_1h=4, user_count_24h=4)]),
    "velocity_user_24h": ([context(user_count_24h=10)], [context(user_count_24h=9)]),
    "amount_above_history": (
        [context(user_amount_ratio_typical=6.0, amount=15000)],
        [context(user_amount_ratio_typical=4.9, amount=12250),
         context(user_amount_ratio_typical=6.0, amount=15000, user_count_30d=2)],  # no history yet
    ),
    "new_recipient_large_amount": (
        [context(user_rcpt_new=True, amount=50000), context(user_rcpt_new=True, amount=500, currency="JPY")],
        [context(user_rcpt_new=True, amount=49999), context(user_rcpt_new=False, amount=90000)],
    ),
}


def fired(ctx: dict[str, Any]) -> set[str]:
    matrix, orders = batch(ctx)
    hits = RULES.evaluate(matrix, orders).hits[0]
    assert RULES.evaluate_reference(matrix, orders).hits[0] == hits  # the CEL package agrees
    return {r.id for r in hits.active}


def test_every_default_rule_has_a_case() -> None:
    assert set(CASES) == {r.id for r in DEFAULT_RULES}


def test_a_quiet_order_fires_nothing() -> None:
    assert fired(BENIGN) == set()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_fires_on_its_pattern(rule_id: str) -> None:
    for ctx in CASES[rule_id][0]:
        assert rule_id in fired(ctx), ctx


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_does_not_fire_on_near_misses(rule_id: str) -> None:
    for near in CASES[rule_id][1]:
        assert rule_id not in fired(near), near


def test_blocked_countries_all_have_a_sample_bin_and_decline() -> None:
    from detectors.bins import SAMPLE_BIN_COUNTRIES

    rule = next(r for r in DEFAULT_RULES if r.id == "blocked_bin_country")
    assert rule.action is RuleAction.DECLINE
    for country in BLOCKED_BIN_COUNTRIES:
        bins = [b for b, c in SAMPLE_BIN_COUNTRIES.items() if c == country]
        assert bins and "blocked_bin_country" in fired(context(card_bin=bins[0])), country


def test_defaults_are_active_described_and_decide_by_severity() -> None:
    for rule in DEFAULT_RULES:
        assert not rule.shadow and rule.description
    decisive = [c.rule.id for c in RULES.rules if c.rule.action is not RuleAction.SCORE]
    assert decisive[0] == "blocked_bin_country"  # a decline outranks every review
