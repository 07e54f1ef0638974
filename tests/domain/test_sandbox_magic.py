"""The magic values of the sandbox: what each asks for, which one decides, and that none of them
is a value the tests or benchmarks already pay with (their outcomes must not change)."""

from __future__ import annotations

import pytest

from domain.cards import luhn_valid
from domain.phones import e164_problem
from domain.sandbox_magic import (
    MAGIC_AMOUNTS,
    MAGIC_CARDS,
    MAGIC_PHONES,
    Magic,
    MagicOutcome,
    magic_of_order,
    magic_of_payout,
)
from quadra.catalog_seed import SANDBOX_CATALOG

S, PD, TS, R, FD = (MagicOutcome.SUCCESS, MagicOutcome.PROVIDER_DECLINE, MagicOutcome.TIMEOUT_THEN_SUCCESS,
                    MagicOutcome.REVIEW, MagicOutcome.FRAUD_DECLINE)  # fmt: skip
PLAIN_CARD, PLAIN_PHONE, PLAIN_AMOUNT = "4111111111111111", "+4915112345678", 1500

# (name, card number, phone, amount, expected)
PAYOUTS: list[tuple[str, str | None, str | None, int, Magic | None]] = [
    ("success card", "4242424242424242", None, PLAIN_AMOUNT, Magic(S, "card")),
    ("provider decline card", "4242424242400002", None, PLAIN_AMOUNT, Magic(PD, "card")),
    ("timeout card", "4242424242490003", None, PLAIN_AMOUNT, Magic(TS, "card")),
    ("review card", "4242424242480004", None, PLAIN_AMOUNT, Magic(R, "card")),
    ("fraud decline card", "4242424242470005", None, PLAIN_AMOUNT, Magic(FD, "card")),
    ("success phone", None, "+15005550001", PLAIN_AMOUNT, Magic(S, "phone")),
    ("provider decline phone", None, "+15005550002", PLAIN_AMOUNT, Magic(PD, "phone")),
    ("timeout phone", None, "+15005550003", PLAIN_AMOUNT, Magic(TS, "phone")),
    ("review phone", None, "+15005550004", PLAIN_AMOUNT, Magic(R, "phone")),
    ("fraud decline phone", None, "+15005550005", PLAIN_AMOUNT, Magic(FD, "phone")),
    ("success amount", PLAIN_CARD, None, 9901, Magic(S, "amount")),
    ("provider decline amount", None, PLAIN_PHONE, 9902, Magic(PD, "amount")),
    ("timeout amount", PLAIN_CARD, None, 9903, Magic(TS, "amount")),
    ("review amount", None, None, 9904, Magic(R, "amount")),
    ("fraud decline amount", PLAIN_CARD, None, 9905, Magic(FD, "amount")),
    ("the recipient decides over the amount", "4242424242480004", None, 9902, Magic(R, "card")),
    ("a magic phone decides over the amount", None, "+15005550002", 9905, Magic(PD, "phone")),
    ("plain values", PLAIN_CARD, None, PLAIN_AMOUNT, None),
    ("plain phone", None, PLAIN_PHONE, PLAIN_AMOUNT, None),
    ("same last four, other BIN", "4111111111110004", None, PLAIN_AMOUNT, None),
    ("9904 in major units is not 99.04", PLAIN_CARD, None, 990400, None),
    ("a neighbour of a magic phone", None, "+15005550006", PLAIN_AMOUNT, None),
]  # fmt: skip


@pytest.mark.parametrize(("card", "phone", "amount", "expected"), [c[1:] for c in PAYOUTS], ids=[c[0] for c in PAYOUTS])
def test_what_a_payout_and_an_order_ask_for(card: str | None, phone: str | None, amount: int, expected: Magic | None) -> None:
    assert magic_of_payout(card, phone, amount) == expected
    # The fraud check sees the same card only as BIN and last four, and decides the same.
    assert magic_of_order(card and card[:6], card and card[-4:], phone, amount) == expected


def test_reasons_say_what_and_why() -> None:
    assert Magic(R, "card").reason == "sandbox: magic card for review"
    assert Magic(TS, "amount").reason == "sandbox: magic amount for timeout then success"


def test_one_value_of_each_kind_per_outcome() -> None:
    for table in (MAGIC_CARDS, MAGIC_PHONES, MAGIC_AMOUNTS):
        assert sorted(table.values()) == sorted(MagicOutcome)


def test_magic_values_pass_the_partner_api_checks() -> None:
    assert all(luhn_valid(card) and len(card) == 16 for card in MAGIC_CARDS)
    assert len({card[-4:] for card in MAGIC_CARDS}) == len(MAGIC_CARDS)  # BIN + last 4 tell them apart
    assert all(e164_problem(phone) is None for phone in MAGIC_PHONES)


def test_magic_amounts_fit_every_range_product_of_the_sandbox_catalog() -> None:
    ranged = [p for p in SANDBOX_CATALOG.products if not p.denominations]
    assert ranged
    for product in ranged:
        assert all(product.min_amount <= a <= (product.max_amount or a) for a in MAGIC_AMOUNTS), product.id


def test_no_magic_value_is_one_the_suite_or_the_benchmarks_generate() -> None:
    # bench/order_client.py and tests/builders.py: cards 411111…, phones +49151…, amounts
    # 1000 + i % 5000; the fraud e2e tests pay 4111 1111 1111 1111 as their mule card.
    from bench.order_client import card_number as bench_card
    from tests.builders import card_number as test_card

    cards = {bench_card(i) for i in range(10_000)} | {test_card(i) for i in range(10_000)} | {PLAIN_CARD}
    assert not cards & set(MAGIC_CARDS)
    assert not {(c[:6], c[-4:]) for c in cards} & {(c[:6], c[-4:]) for c in MAGIC_CARDS}
    assert not {f"+49151{i:08d}" for i in range(10_000)} & set(MAGIC_PHONES)
    assert not set(range(1000, 6000)) & set(MAGIC_AMOUNTS)
