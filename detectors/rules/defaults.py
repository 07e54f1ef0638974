"""The default payout rule set: what a new company starts with, tuned by analysts from there.

Counts are of the orders BEFORE this one (the features exclude the order being decided), so
`user_count_1h >= 5` fires on the sixth payout of an end user within the hour. Amount thresholds
are in whole major units (`amount_major`), not converted between currencies. With the default
points thresholds (detectors.decision.DEFAULT_POLICY: review at 50, decline at 100), one score
rule alone does not hold an order; two together do.

Thresholds were checked against `quadra simulate --profile payouts`-style history (40 days,
2,000 end users): there, end users legitimately pay several cards a day and cards receive from
several end users (the handbook's terminals become recipient cards), so the distinct-count
rules also require a burst, a young card or a high count. bench/rules_eval.py prints the hits.
"""

from __future__ import annotations

from detectors.rules.model import Rule, RuleAction

# The sanctioned jurisdictions most payout programs refuse; tune per program and regulator.
BLOCKED_BIN_COUNTRIES = ("KP", "IR", "SY", "CU")

_countries = ", ".join(f'"{c}"' for c in BLOCKED_BIN_COUNTRIES)

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "blocked_bin_country", 1, "Card issued in a blocked country",
        f"rcpt_is_card && bin_country in [{_countries}]",
        RuleAction.DECLINE, priority=100,
        description="The recipient card's BIN belongs to a country the program does not pay.",
    ),
    Rule(
        "card_testing", 1, "Card testing burst",
        "rcpt_is_card && rcpt_count_1h >= 5 && rcpt_sum_1h <= rcpt_count_1h * 200 && amount <= 200",
        RuleAction.REVIEW, priority=60,
        description="Five or more small payouts (2.00 or less on average, minor units ≤ 200) "
        "to one card within the hour, and this one small too: someone is testing cards.",
    ),
    Rule(
        "many_users_one_card", 1, "Many end users → one card",
        "rcpt_is_card && rcpt_distinct_users_24h >= 3 && (rcpt_age_days < 1.0 || rcpt_distinct_users_24h >= 5)",
        RuleAction.REVIEW, priority=50,
        description="Before this payout, three or more end users paid this card within 24 h and "
        "the card is less than a day old, or five or more did: accounts farmed to cash out.",
    ),
    Rule(
        "one_user_many_cards", 1, "One end user → many recipients",
        "user_rcpt_new && user_distinct_rcpt_24h >= 4 && user_count_1h >= 2",
        RuleAction.REVIEW, priority=50,
        description="A new recipient after four or more different ones within 24 h, in a burst "
        "(two or more payouts in the last hour).",
    ),
    Rule(
        "velocity_user_1h", 1, "End user velocity, 1 h",
        "user_count_1h >= 5",
        RuleAction.REVIEW, priority=40,
        description="Five or more payouts to this end user within the hour.",
    ),
    Rule(
        "velocity_user_24h", 1, "End user velocity, 24 h",
        "user_count_24h >= 10",
        RuleAction.SCORE, points=30,
        description="Ten or more payouts to this end user within 24 h.",
    ),
    Rule(
        "amount_above_history", 1, "Amount far above the end user's history",
        "user_count_30d >= 3 && user_amount_ratio_typical >= 5.0",
        RuleAction.SCORE, points=40,
        description="Five times (or more) the end user's typical amount over 30 days.",
    ),
    Rule(
        "new_recipient_large_amount", 1, "New recipient, large amount",
        "user_rcpt_new && amount_major >= 500",
        RuleAction.SCORE, points=30,
        description="A recipient this end user has not paid in 30 days, and 500 or more "
        "(major units): account takeover to a new card.",
    ),
)  # fmt: skip
