from bench.soak.analyst import review_action
from bench.soak.checks import order_problems
from bench.soak.settle import Settled
from bench.soak.load import Accepted


def _accepted(**orders: tuple[str, str]) -> dict[str, Accepted]:
    return {key: Accepted(order_id, "qk", kind, "cmp", {}, 1) for key, (order_id, kind) in orders.items()}


def test_a_clean_settlement_has_no_problems() -> None:
    accepted = _accepted(k1=("o1", "card"), k2=("o2", "magic-provider-decline"), k3=("o3", "magic-fraud-decline"))
    settled = Settled(status={"o1": "completed", "o2": "failed", "o3": "declined"})
    assert order_problems(accepted, settled, {"o1": 1}) == []


def test_double_payment_unpaid_completion_and_paid_failure_are_problems() -> None:
    accepted = _accepted(k1=("o1", "card"), k2=("o2", "card"), k3=("o3", "card"))
    settled = Settled(status={"o1": "completed", "o2": "completed", "o3": "failed"})
    problems = order_problems(accepted, settled, {"o1": 2, "o3": 1})
    assert any("o1 paid 2 times" in p for p in problems)
    assert any("1 completed orders the sandbox never paid" in p for p in problems)
    assert any("1 orders paid but not completed" in p and "o3" in p for p in problems)


def test_two_keys_for_one_order_and_a_magic_value_off_its_outcome_are_problems() -> None:
    accepted = _accepted(k1=("o1", "card"), k2=("o1", "card"), k3=("o3", "magic-success"))
    settled = Settled(status={"o1": "declined", "o3": "failed"})
    problems = order_problems(accepted, settled, {})
    assert any("answer more than one key" in p for p in problems)
    assert any("k3 (magic-success) ended failed" in p for p in problems)


def test_the_reviewer_is_deterministic_and_uses_both_actions() -> None:
    actions = [review_action(f"ord_{n}") for n in range(100)]
    assert actions == [review_action(f"ord_{n}") for n in range(100)]
    assert set(actions) == {"approve", "decline"}


def test_an_order_the_rules_held_and_the_reviewer_declined_may_end_declined_whatever_its_kind() -> None:
    """The soak's first all-faults run: a blocked-BIN card transfer (expected: failed by the
    provider) was held by a velocity rule and declined by the soak's own reviewer."""
    accepted = _accepted(k1=("o1", "blocked-bin"), k2=("o2", "blocked-bin"))
    settled = Settled(status={"o1": "declined", "o2": "declined"}, declined_in_review={"o1"})
    assert order_problems(accepted, settled, {}) == ["k2 (blocked-bin) ended declined, expected ['failed']"]
