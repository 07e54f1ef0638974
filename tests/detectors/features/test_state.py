"""Feature state per company: layout, keys, label delay, time order, memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.features import FEATURE_INDEX, FEATURE_NAMES, FeatureState, OrderFacts, facts_from_order
from detectors.features.state import CompanyFeatures
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange

DAY = 86400
T = DAY * 20000  # a Friday, 00:00 UTC
DELAY = 7 * DAY


def order(at: int, user: str = "u1", rcpt: str = "card:r1", amount: int = 1000, label: int | None = None,
          company: str = "c1", device: str | None = None, ip: str | None = None) -> OrderFacts:  # fmt: skip
    return OrderFacts(at, company, user, rcpt, RecipientKind.CARD, amount, device, ip, label)


def features(orders: list[OrderFacts], delay: int = DELAY) -> np.ndarray:
    return FeatureState(delay).update_and_compute(orders)


def value(matrix: np.ndarray, row: int, name: str) -> float:
    return float(matrix[row, FEATURE_INDEX[name]])


def test_matrix_has_one_column_per_feature_name() -> None:
    m = features([order(T), order(T + 1)])
    assert m.shape == (2, len(FEATURE_NAMES))
    assert FeatureState().update_and_compute([]).shape == (0, len(FEATURE_NAMES))


def test_velocity_per_key_and_company() -> None:
    m = features(
        [
            order(T, user="a", rcpt="card:x", device="d", ip="1.1.1.1"),
            order(T + 60, user="b", rcpt="card:x", device="d", ip="1.1.1.1"),
            order(T + 120, user="a", rcpt="card:y", company="other"),  # another company's state
            order(T + 180, user="c", rcpt="card:x", device="d", ip="2.2.2.2", amount=5000),
        ]
    )
    assert value(m, 3, "rcpt_count_1h") == 2
    assert value(m, 3, "rcpt_sum_1h") == 2000
    assert value(m, 3, "device_count_24h") == 2
    assert value(m, 3, "ip_count_24h") == 0
    assert value(m, 3, "rcpt_distinct_users_24h") == 2
    assert value(m, 2, "user_count_1h") == 0  # user "a" of company "other" is someone else
    assert value(m, 3, "amount") == 5000


def test_distinct_recipients_and_first_seen_pair() -> None:
    m = features([order(T, rcpt="card:x"), order(T + 60, rcpt="card:y"), order(T + 120, rcpt="card:x")])
    assert [value(m, i, "user_distinct_rcpt_24h") for i in range(3)] == [0, 1, 2]
    assert [value(m, i, "user_rcpt_new") for i in range(3)] == [1, 1, 0]
    assert value(m, 2, "rcpt_age_days") == pytest.approx(120 / DAY)


def test_amount_against_own_history() -> None:
    m = features([order(T, amount=1000), order(T + 60, amount=3000), order(T + 120, amount=6000)])
    assert value(m, 2, "user_mean_30d") == 2000
    assert value(m, 2, "user_amount_ratio_30d") == 3
    assert value(m, 2, "user_amount_z_30d") == pytest.approx((6000 - 2000) / 1000)
    assert value(m, 0, "user_amount_ratio_30d") == 0  # no history yet


def test_time_of_day_and_weekday() -> None:
    m = features([order(T + DAY + 5 * 3600)])  # Saturday 05:00
    assert value(m, 0, "hour") == 5
    assert value(m, 0, "weekday") == 5
    assert value(m, 0, "is_weekend") == 1
    assert value(m, 0, "is_night") == 1


@pytest.mark.parametrize(
    ("later", "count", "ratio"),
    [
        (DELAY - 1, 0, 0.0),  # the fraud label is not yet `delay` old: invisible
        (DELAY, 1, 1.0),  # exactly `delay` old: counts
        (DELAY + DAY - 3600, 1, 1.0),  # still inside the 1 d window before the delay
        (DELAY + DAY, 0, 0.0),  # left the 1 d window
    ],
)
def test_recipient_risk_uses_labels_only_after_the_delay(later: int, count: int, ratio: float) -> None:
    m = features([order(T, user="victim", label=1), order(T + later, user="other")])
    assert value(m, 1, "rcpt_risk_count_1d") == count
    assert value(m, 1, "rcpt_risk_ratio_1d") == ratio


def test_a_label_newer_than_the_delay_changes_no_feature() -> None:
    history = [order(T + i * 3600, user=f"u{i % 3}", rcpt=f"card:r{i % 2}") for i in range(7 * 24)]
    fraud = [replace(history[0], label=1), *history[1:]]
    assert np.array_equal(features(history), features(fraud))
    later = order(T + DELAY + 10, rcpt="card:r0")
    assert not np.array_equal(features([*history, later]), features([*fraud, later]))


def test_risk_ratio_over_matured_orders() -> None:
    orders = [order(T, label=1), order(T + 10, label=0), order(T + 20, label=0), order(T + 30, label=1)]
    m = features([*orders, order(T + DELAY + 30, user="x")])
    assert value(m, 4, "rcpt_risk_count_7d") == 4
    assert value(m, 4, "rcpt_risk_ratio_7d") == 0.5


def test_a_stream_label_before_maturity_counts_and_a_late_one_does_not() -> None:
    state = CompanyFeatures(DELAY)
    for i, oid in enumerate(("o1", "o2", "o3")):
        state.compute_and_add(replace(order(T + i), order_id=oid))
    assert state.label("o1", T, 1)  # an analyst confirms fraud within the delay
    state.compute_and_add(order(T + DELAY + 5, user="x"))  # o1..o3 mature now
    assert not state.label("o2", T + 1, 1)  # too late: o2 already matured as legitimate
    row = state.compute_and_add(order(T + DELAY + 6, user="y"))
    assert row[FEATURE_INDEX["rcpt_risk_count_7d"]] == 3
    assert row[FEATURE_INDEX["rcpt_risk_ratio_7d"]] == pytest.approx(1 / 3)
    assert state.sizes()["labels"] == 0


def test_orders_out_of_time_order_are_refused() -> None:
    state = CompanyFeatures()
    state.compute_and_add(order(T + 10))
    with pytest.raises(ValueError, match="time order"):
        state.compute_and_add(order(T))


def test_keys_silent_for_longer_than_the_windows_are_forgotten() -> None:
    state = CompanyFeatures(DELAY)
    for i in range(50):
        state.compute_and_add(order(T + i, user=f"u{i}", rcpt=f"card:{i}"))
    state.compute_and_add(order(T + 60 * DAY, user="late", rcpt="card:late"))
    sizes = state.sizes()
    assert sizes["users"] == 1 and sizes["recipients"] == 1
    assert sizes["pending"] == 1  # only the last order still waits for its label delay


def test_facts_from_a_domain_order_use_the_card_token() -> None:
    at = datetime(2026, 1, 5, 10, tzinfo=UTC)
    o = Order(
        id="ord_1", company_id="c1", idempotency_key="k", product_id="p", amount=Money(1500, "EUR"),
        recipient=Recipient(RecipientKind.CARD, card_token="tok_abc", card_bin="400000", card_last4="0002"),
        end_user=EndUser("u1", ip="10.0.0.1", device_id="dev1"), created_at=at,
        history=(StatusChange(OrderStatus.RECEIVED, "in", at),),
    )  # fmt: skip
    f = facts_from_order(o)
    assert (f.recipient, f.amount, f.device, f.ip, f.at) == ("card:tok_abc", 1500, "dev1", "10.0.0.1", int(at.timestamp()))


def test_typical_amount_ignores_outliers_and_counts_them() -> None:
    amounts = [100, 100, 100, 500, 100, 600, 100]
    m = features([order(T + 60 * i, amount=a) for i, a in enumerate(amounts)])
    # The two outliers (5x and 6x) stay out of the typical amount, which remains 100.
    assert [value(m, i, "user_amount_ratio_typical") for i in range(7)] == [0, 1, 1, 5, 1, 6, 1]
    assert [value(m, i, "user_outliers_7d") for i in range(7)] == [0, 0, 0, 0, 1, 1, 2]


def test_known_fraud_streak_and_age_of_the_last_known_fraud() -> None:
    labels = [0, 1, 1]  # the recipient's last two usable labels are frauds
    history = [order(T + 3600 * i, user=f"u{i}", label=y) for i, y in enumerate(labels)]
    m = features([*history, order(T + DELAY + 3 * 3600, user="x")])
    assert value(m, 3, "rcpt_known_fraud_streak") == 2
    assert value(m, 3, "rcpt_days_since_known_fraud") == pytest.approx(3600 / DAY)
    assert value(m, 3, "rcpt_risk_frauds_1d") == 2
    fresh = features([order(T, user="x")])
    assert value(fresh, 0, "rcpt_days_since_known_fraud") == 999
