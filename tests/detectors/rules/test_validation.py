"""Rules are refused with a clear message naming the position (issue 6, acceptance 4, pure half)."""

from __future__ import annotations

from typing import Any

import pytest

from detectors.rules import Rule, RuleAction, RuleError, RuleMode, RuleSet
from detectors.rules.defaults import DEFAULT_RULES


def rule(expression: str, **changes: Any) -> Rule:
    fields: dict[str, Any] = {
        "id": "r1", "version": 3, "name": "R1", "expression": expression, "action": RuleAction.REVIEW,
    }  # fmt: skip
    return Rule(**{**fields, **changes})


def refusal(expression: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        RuleSet.compile([rule(expression)])
    return caught.value


# expression, line, column, words the message must contain
POSITIONED = [
    ("amount > ", 1, 10, "syntax error"),  # the package's parser
    ("user_count_1h >= 5 &&\n  amount >>> 3", 2, 11, "syntax error"),
    ('currency == "EUR', 1, 13, "syntax error"),
    ("user_count_1h >= 5 && usr_count_24h > 3", 1, 23, "unknown identifier 'usr_count_24h'"),
    ("amount > 1 &&\n    velocity > 3", 2, 5, "unknown identifier 'velocity'"),
    ("user_mean_30d * 3 > amount", 1, 15, "two ints or two doubles"),
    ('currency == 3', 1, 10, "cannot compare string == int"),
    ('bin_country in ["KP", 7]', 1, 23, "an int in a list compared with a string"),
    ("amount + 1", 1, 1, "must yield a bool"),
    ("user_amount_ratio_30d", 1, 1, "yields double"),
    ("has(amount)", 1, 5, "syntax error: invalid argument to has() macro"),
    ("has(amount.x)", 1, 1, "unknown function 'has'"),  # valid CEL, not in the rules' subset
    ("[1, 2].exists(x, x > amount)", 1, 8, "unknown function 'exists'"),
    ("amount / user_count_1h > 5", 1, 8, "non-zero literal divisor"),
    ("user_mean_30d / user_mean_7d > 3.0", 1, 15, "non-zero literal divisor"),
    ("user_mean_30d / 0.0 > 3.0", 1, 15, "non-zero literal divisor"),
    ("amount > 1u", 1, 10, "uint literals"),
    ("user_rcpt_new ? amount : 2.5", 1, 15, "both branches"),
    ("!amount", 1, 1, "needs a bool"),
]


@pytest.mark.parametrize(("expression", "line", "column", "words"), POSITIONED)
def test_refused_with_position(expression: str, line: int, column: int, words: str) -> None:
    e = refusal(expression)
    assert (e.rule_id, e.line, e.column) == ("r1", line, column)
    assert str(e).startswith(f"rule r1: line {line}, column {column}: ")
    assert words in str(e)


def test_unknown_identifier_suggests_the_feature() -> None:
    assert "did you mean 'user_count_24h'" in str(refusal("usr_count_24h > 3"))


@pytest.mark.parametrize(
    "expression",
    [
        "user_mean_30d * 3.0 > double(amount)",
        'card_bin.startsWith("9991") || currency in ["EUR", "USD"]',
        "amount / 100 > 5 && amount % 100 == 0 && -amount < 0",
        "user_rcpt_new ? amount_major >= 500 : user_amount_ratio_30d > 5  // comment",
        "sandbox == false && hour >= 0x0 && 'a' < product_type",
    ],
)
def test_valid_expressions_compile(expression: str) -> None:
    assert len(RuleSet.compile([rule(expression)])) == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"id": "Bad Id"}, "rule id"),
        ({"version": 0}, "version must be an integer"),
        ({"version": True}, "version must be an integer"),
        ({"action": RuleAction.SCORE}, "needs non-zero points"),
        ({"points": 10}, "points apply to score rules only"),
        ({"name": " "}, "name is empty"),
        ({"expression": ""}, "expression is empty"),
        ({"expression": "amount > 1 " * 500}, "longer than"),
    ],
)
def test_bad_fields_are_refused(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(RuleError, match=words):
        RuleSet.compile([rule(changes.pop("expression", "amount > 1"), **changes)])


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(RuleError, match="rule r1: appears twice"):
        RuleSet.compile([rule("amount > 1"), rule("amount > 2", version=4)])


def test_json_round_trip() -> None:
    for r in (*DEFAULT_RULES, rule("amount > 1", mode=RuleMode.SHADOW, priority=-5)):
        assert Rule.from_dict(r.to_dict()) == r


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "must be a JSON object"),
        ({"id": "r1", "version": 1, "name": "x", "action": "review"}, "missing fields \\['expression'\\]"),
        ({**rule("amount > 1").to_dict(), "colour": "red"}, "unknown fields"),
        ({**rule("amount > 1").to_dict(), "action": "block"}, "unknown action 'block'"),
        ({**rule("amount > 1").to_dict(), "mode": "off"}, "unknown mode 'off'"),
        ({**rule("amount > 1").to_dict(), "version": "2"}, "version must be an integer"),
    ],
)
def test_bad_json_is_refused(data: Any, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        Rule.from_dict(data)
