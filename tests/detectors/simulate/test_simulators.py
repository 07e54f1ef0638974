"""The simulators: deterministic per seed, plausible fraud shares, valid partner API bodies."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from api.schemas import OrderCreate
from detectors.simulate.handbook import HandbookConfig, Scenario, Transactions, simulate_handbook
from detectors.simulate.jsonl import jsonl_lines
from detectors.simulate.payouts import PayoutsConfig, simulate_payouts
from domain.cards import luhn_valid

SMALL = HandbookConfig(customers=500, terminals=1000, days=60, seed=7)


@pytest.fixture(scope="module")
def handbook() -> Transactions:
    return simulate_handbook(SMALL)


def test_same_seed_same_history_other_seed_another(handbook: Transactions) -> None:
    again = simulate_handbook(SMALL)
    for name in ("at", "customer", "terminal", "amount", "label", "scenario"):
        assert np.array_equal(getattr(handbook, name), getattr(again, name))
    other = simulate_handbook(HandbookConfig(customers=500, terminals=1000, days=60, seed=8))
    assert len(other) != len(handbook) or not np.array_equal(other.amount, handbook.amount)


def test_handbook_shape_and_fraud_shares(handbook: Transactions) -> None:
    n = len(handbook)
    # About 2 a day per customer (U(0, 4)), a few percent dropped outside the day, a few
    # customers without a terminal in reach.
    assert 1.5 * 500 * 60 < n < 2.1 * 500 * 60
    assert np.all(np.diff(handbook.at) >= 0)
    assert np.all(handbook.amount > 0)
    share = handbook.label.mean()
    assert 0.003 < share < 0.02  # the book: 0.84 % over 183 days (scenarios ramp up over time)
    per_scenario = np.bincount(handbook.scenario, minlength=4)
    assert per_scenario[Scenario.LARGE_AMOUNT] > 0
    assert per_scenario[Scenario.COMPROMISED_TERMINAL] > 0
    assert per_scenario[Scenario.LEAKED_CUSTOMER] > 0
    assert np.array_equal(handbook.label == 1, handbook.scenario > 0)
    large = handbook.scenario == Scenario.LARGE_AMOUNT
    assert np.all(handbook.amount[large] > 22000)


def test_payouts_add_payout_frauds_devices_and_ips() -> None:
    tx = simulate_payouts(PayoutsConfig(base=SMALL))
    per_scenario = np.bincount(tx.scenario, minlength=7)
    for scenario in (Scenario.MULE_CARD, Scenario.CARD_TESTING, Scenario.ACCOUNT_TAKEOVER):
        assert per_scenario[scenario] > 0, scenario
    assert np.all(tx.device >= 0) and np.all(tx.ip >= 0)
    assert np.all(np.diff(tx.at) >= 0)
    mule = tx.scenario == Scenario.MULE_CARD
    card = tx.terminal[mule][0]
    assert len(set(tx.customer[tx.terminal == card].tolist())) >= 5  # many users, one card
    assert tx.label.mean() < 0.05


def test_lines_are_valid_partner_api_orders(handbook: Transactions) -> None:
    tx = simulate_payouts(PayoutsConfig(base=HandbookConfig(customers=50, terminals=100, days=10)))
    times = []
    for raw in list(jsonl_lines(tx))[:300]:
        line = orjson.loads(raw)
        assert set(line) == {"created_at", "company_id", "order", "label"}
        body = OrderCreate.model_validate(line["order"])  # the partner API's own validation
        assert luhn_valid(body.recipient.card_number or "")
        assert line["label"] in (0, 1)
        times.append(line["created_at"])
    assert times == sorted(times)
