"""The sandbox step of the fraud decision: magic values decide sandbox orders, never live ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors.engine import FraudEngine, default_judges
from detectors.features import FeatureState
from detectors.sandbox import SandboxVerdict, sandbox_verdict
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from tests.builders import T0

APPROVED, IN_REVIEW, DECLINED = OrderStatus.APPROVED, OrderStatus.IN_REVIEW, OrderStatus.DECLINED


def card(number: str) -> Recipient:
    # As intake has it: token, BIN and last four, never the number.
    return Recipient(RecipientKind.CARD, card_token=f"tok_{number}", card_bin=number[:6], card_last4=number[-4:])


def phone(number: str) -> Recipient:
    return Recipient(RecipientKind.PHONE, phone=number)


def order(recipient: Recipient, amount: int = 1500, sandbox: bool = True, n: int = 0, user: str = "u-1") -> Order:
    at = T0 + timedelta(seconds=n)
    return Order(
        id=f"ord_{n:032x}", company_id="cmp_a", idempotency_key=f"k-{n}", product_id="card-transfer-eur",
        amount=Money(amount, "EUR"), recipient=recipient, end_user=EndUser(user), created_at=at,
        history=(StatusChange(OrderStatus.RECEIVED, "accepted by intake", at),), sandbox=sandbox,
        product_type="card_transfer",
    )  # fmt: skip


CASES: list[tuple[str, Order, SandboxVerdict | None]] = [
    ("success card", order(card("4242424242424242")), SandboxVerdict(APPROVED, "sandbox: magic card for success")),
    ("provider decline card", order(card("4242424242400002")),
     SandboxVerdict(APPROVED, "sandbox: magic card for provider decline")),
    ("timeout card", order(card("4242424242490003")),
     SandboxVerdict(APPROVED, "sandbox: magic card for timeout then success")),
    ("review card", order(card("4242424242480004")), SandboxVerdict(IN_REVIEW, "sandbox: magic card for review")),
    ("fraud decline card", order(card("4242424242470005")),
     SandboxVerdict(DECLINED, "sandbox: magic card for fraud decline")),
    ("any card with the BIN and last four", order(card("4242420000000004")),
     SandboxVerdict(IN_REVIEW, "sandbox: magic card for review")),
    ("review phone", order(phone("+15005550004")), SandboxVerdict(IN_REVIEW, "sandbox: magic phone for review")),
    ("fraud decline phone", order(phone("+15005550005")),
     SandboxVerdict(DECLINED, "sandbox: magic phone for fraud decline")),
    ("success phone", order(phone("+15005550001")), SandboxVerdict(APPROVED, "sandbox: magic phone for success")),
    ("review amount", order(card("4111111111111111"), 9904), SandboxVerdict(IN_REVIEW, "sandbox: magic amount for review")),
    ("fraud decline amount", order(phone("+4915112345678"), 9905),
     SandboxVerdict(DECLINED, "sandbox: magic amount for fraud decline")),
    ("provider decline amount", order(phone("+4915112345678"), 9902),
     SandboxVerdict(APPROVED, "sandbox: magic amount for provider decline")),
    ("the card decides over the amount", order(card("4242424242424242"), 9905),
     SandboxVerdict(APPROVED, "sandbox: magic card for success")),
    ("plain card", order(card("4111111111111111")), None),
    ("plain phone and amount", order(phone("+4915112345678"), 9900), None),
    ("e-mail recipient, plain amount", order(Recipient(RecipientKind.EMAIL, email="a@b.de")), None),
    ("e-mail recipient, magic amount", order(Recipient(RecipientKind.EMAIL, email="a@b.de"), 9904),
     SandboxVerdict(IN_REVIEW, "sandbox: magic amount for review")),
    # Live orders: no magic, whatever they carry.
    ("live review card", order(card("4242424242480004"), sandbox=False), None),
    ("live fraud decline phone", order(phone("+15005550005"), sandbox=False), None),
    ("live fraud decline amount", order(card("4111111111111111"), 9905, sandbox=False), None),
]  # fmt: skip


@pytest.mark.parametrize(("order_", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sandbox_verdict(order_: Order, expected: SandboxVerdict | None) -> None:
    assert sandbox_verdict(order_) == expected


def assess(orders: list[Order]) -> list[tuple[OrderStatus, str]]:
    engine = FraudEngine(default_judges)
    return [(a.status, a.reason) for _, a in engine.assess(FeatureState(), orders)]


def test_the_engine_decides_magic_sandbox_orders_as_asked() -> None:
    orders = [order(card(n), n=i, user=f"u-{i}") for i, n in enumerate(
        ["4242424242424242", "4242424242480004", "4242424242470005", "4111111111111111"])]  # fmt: skip
    assert assess(orders) == [
        (APPROVED, "sandbox: magic card for success"),
        (IN_REVIEW, "sandbox: magic card for review"),
        (DECLINED, "sandbox: magic card for fraud decline"),
        (APPROVED, "no fraud signal"),
    ]


def burst(number: str, sandbox: bool) -> list[Order]:
    """Six end users paying one young card within a minute: many_users_one_card holds it."""
    return [order(card(number), 2000 + i, sandbox, n=i, user=f"farmed-{i}") for i in range(6)]


def test_a_magic_success_card_is_approved_however_often_it_is_paid() -> None:
    assert {s for s, _ in assess(burst("4242424242424242", sandbox=True))} == {APPROVED}


def test_live_orders_with_magic_values_are_decided_by_the_rules_alone() -> None:
    live = assess(burst("4242424242424242", sandbox=False))
    assert live[0] == (APPROVED, "no fraud signal")
    assert live[-1][0] is IN_REVIEW and "many_users_one_card" in live[-1][1]
    # The same burst of plain sandbox orders is held too: only magic values are special.
    assert assess(burst("4111111111111111", sandbox=True))[-1][0] is IN_REVIEW
    magic_live = [order(card("4242424242470005"), n=0, sandbox=False), order(phone("+15005550004"), 9905, sandbox=False, n=1)]
    assert assess(magic_live) == [(APPROVED, "no fraud signal")] * 2


def test_a_sandbox_order_keeps_its_features_and_fired_rules_for_analysts() -> None:
    engine = FraudEngine(default_judges)
    last = engine.assess(FeatureState(), burst("4242424242424242", sandbox=True))[-1][1]
    assert last.status is APPROVED and "many_users_one_card@v1" in last.fired_rules and last.features
