"""The feature state against a frozen copy of its first implementation (tests/…/reference):
the same orders give the same matrix, bit for bit, whatever the optimisations."""

from __future__ import annotations

import random

import numpy as np
import pytest

from detectors.features import FeatureState, OrderFacts
from detectors.features.state import CompanyFeatures
from detectors.simulate.handbook import HandbookConfig
from detectors.simulate.payouts import PayoutsConfig, simulate_payouts
from domain.orders import RecipientKind
from tests.detectors.features.reference.state import CompanyFeatures as ReferenceCompany
from tests.detectors.features.reference.state import FeatureState as ReferenceState

DAY = 86400
T0 = DAY * 17600
KINDS = (RecipientKind.CARD, RecipientKind.PHONE, RecipientKind.EMAIL)


def synthetic(seed: int, n: int) -> list[OrderFacts]:
    """Bursts, quiet spells longer than every window, shared keys, missing device and IP,
    several companies, labels, equal timestamps and bucket edges."""
    r = random.Random(seed)
    at = T0
    out: list[OrderFacts] = []
    for i in range(n):
        gap = r.choice((0, 0, 1, 59, 60, 61, 899, 900, 3599, 3600, 21600, DAY, 7 * DAY + 1, 31 * DAY, 45 * DAY))
        at += gap if r.random() < 0.3 else r.randrange(0, 400)
        user = r.randrange(40 if r.random() < 0.8 else 400)
        rcpt = r.randrange(30 if r.random() < 0.7 else 600)
        out.append(OrderFacts(
            at, f"c{r.randrange(3)}", f"u{user}", f"card:{rcpt}", KINDS[rcpt % 3],
            r.choice((1, 100, 999, 5000, 25_000, 10**7)) if r.random() < 0.3 else r.randrange(1, 100_000),
            None if r.random() < 0.2 else f"d{user % 25}", None if r.random() < 0.3 else f"ip{r.randrange(15)}",
            r.choice((None, 0, 1, 1)) if r.random() < 0.5 else 0, f"o{i}",
        ))  # fmt: skip
    return out


def simulated(days: int) -> list[OrderFacts]:
    tx = simulate_payouts(PayoutsConfig(HandbookConfig(customers=300, terminals=600, days=days, seed=3)))
    return [
        OrderFacts(at, "cmp", f"eu_{c}", f"card:{t}", RecipientKind.CARD, a, f"dev_{d}" if d >= 0 else None,
                   f"ip_{ip}" if ip >= 0 else None, y)
        for at, c, t, a, d, ip, y in zip(tx.at.tolist(), tx.customer.tolist(), tx.terminal.tolist(),
                                         tx.amount.tolist(), tx.device.tolist(), tx.ip.tolist(), tx.label.tolist())
    ]  # fmt: skip


def assert_same(orders: list[OrderFacts], batch: int, delay: int = 7 * DAY) -> None:
    new, old = FeatureState(delay), ReferenceState(delay)
    for i in range(0, len(orders), batch):
        a = new.update_and_compute(orders[i : i + batch])
        b = old.update_and_compute(orders[i : i + batch])
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"rows {i}..{i + batch}: {np.argwhere(a != b)[:5].tolist()}"


@pytest.mark.parametrize(("seed", "batch", "delay"), [(1, 1000, 7 * DAY), (2, 7, 7 * DAY), (3, 250, 0), (4, 1, DAY)])
def test_synthetic_orders_give_the_reference_matrix(seed: int, batch: int, delay: int) -> None:
    assert_same(synthetic(seed, 4000), batch, delay)


def test_simulated_payouts_give_the_reference_matrix() -> None:
    orders = simulated(75)
    assert len(orders) > 20_000
    assert_same(orders, 1000)


def test_stream_labels_give_the_reference_rows() -> None:
    r = random.Random(5)
    new, old = CompanyFeatures(), ReferenceCompany()
    for f in synthetic(6, 3000):
        if r.random() < 0.2:
            target = f"o{r.randrange(int(f.order_id[1:]) + 1)}"
            at = f.at - r.randrange(9 * DAY)
            assert new.label(target, at, 1) == old.label(target, at, 1)
        assert new.compute_and_add(f) == old.compute_and_add(f)
    assert new.sizes() == old.sizes()
