import random

import pytest

from bench.soak.load import EXPECTED, MAGIC_CARD, MIX, luhn_card, order_body, pick_kind
from domain.sandbox_magic import MAGIC_CARDS, MagicOutcome
from sandbox.validation import luhn_valid


def test_generated_cards_pass_luhn_and_keep_their_bin() -> None:
    rng = random.Random(3)
    for bin6 in ("411111", "520000", "400000"):
        for _ in range(200):
            card = luhn_card(rng, bin6)
            assert len(card) == 16 and card.startswith(bin6) and luhn_valid(card)


def test_the_mix_adds_up_and_every_magic_kind_has_an_expected_outcome() -> None:
    assert sum(share for share, _ in MIX) == pytest.approx(1.0)
    assert {kind for _, kind in MIX} - {"card", "topup"} == set(EXPECTED)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("magic-success", MagicOutcome.SUCCESS), ("magic-timeout", MagicOutcome.TIMEOUT_THEN_SUCCESS),
     ("magic-provider-decline", MagicOutcome.PROVIDER_DECLINE), ("magic-review", MagicOutcome.REVIEW),
     ("magic-fraud-decline", MagicOutcome.FRAUD_DECLINE)],
)  # fmt: skip
def test_magic_kinds_send_the_sandbox_magic_card_of_their_outcome(kind: str, outcome: MagicOutcome) -> None:
    assert MAGIC_CARDS[MAGIC_CARD[kind]] is outcome
    body = order_body(random.Random(1), kind)
    assert body["recipient"]["card_number"] == MAGIC_CARD[kind]


def test_bodies_stay_inside_the_sandbox_catalog() -> None:
    rng = random.Random(9)
    for _ in range(2000):
        body = order_body(rng, pick_kind(rng))
        value = body["amount"]["value"]
        if body["product_id"] == "topup-de":
            assert 500 <= value <= 10_000 and body["recipient"]["phone"].startswith(("+4915", "+4917"))
        else:
            assert body["product_id"] == "card-transfer-eur" and 100 <= value <= 1_000_000
        assert value not in range(9901, 9906)  # no magic amount: a card or phone decides


def test_the_same_seed_gives_the_same_orders() -> None:
    def orders(seed: int) -> list[dict[str, object]]:
        rng = random.Random(seed)
        return [order_body(rng, pick_kind(rng)) for _ in range(50)]

    assert orders(4) == orders(4) and orders(4) != orders(5)
