"""The compiled feature state against the Python one (detectors.features.python_state), bit for
bit, on random order streams: bucket and window edges, sweeps and reused slots, labels given
before and after an order is fed, big amounts (the exact-arithmetic fallbacks), batches of every
size and state carried across them, and a state rebuilt by replaying the facts order by order
(what the intake does on a restart)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from detectors.features import FEATURE_NAMES, FeatureState, OrderFacts
from detectors.features.compiled import CompanyFeatures
from detectors.features.python_state import PythonCompanyFeatures
from domain.orders import RecipientKind

DAY = 86400
T0 = DAY * 17600 + 59  # a second before a minute edge
KINDS = (RecipientKind.CARD, RecipientKind.PHONE, RecipientKind.EMAIL)
# Gaps at and around every bucket and window edge (velocity, distinct, risk, sweep).
EDGES = tuple(
    g + d
    for g in (60, 900, 3600, 6 * 3600, DAY, 7 * DAY, 30 * DAY, 31 * DAY, 37 * DAY)
    for d in (-1, 0, 1)
)


def stream(seed: int, n: int, companies: int = 2, big: bool = False) -> list[OrderFacts]:
    r = random.Random(seed)
    at = T0
    users = r.choice((3, 30, 300))
    rcpts = r.choice((2, 40, 800))
    out: list[OrderFacts] = []
    for i in range(n):
        roll = r.random()
        if roll < 0.25:
            at += r.choice(EDGES)
        elif roll < 0.5:
            at += 0  # same second: bursts
        else:
            at += r.randrange(0, 200)
        if big and r.random() < 0.3:
            amount = r.choice((2**31 - 1, 2**31, 2**31 + 7, 3 * 10**9, 2**40 + 3, 2**45 + 1))
        else:
            amount = r.choice((1, 2, 3, 100, 10**7)) if r.random() < 0.2 else r.randrange(1, 50_000)
        user = r.randrange(users)
        rcpt = r.randrange(rcpts)
        out.append(OrderFacts(
            at, f"c{r.randrange(companies)}", f"u{user}", f"{KINDS[rcpt % 3].value}:{rcpt}", KINDS[rcpt % 3],
            amount, None if r.random() < 0.2 else f"d{r.randrange(users // 2 + 1)}",
            None if r.random() < 0.3 else f"ip{r.randrange(12)}",
            r.choice((None, 0, 1, 1, 2)), f"o{i}" if r.random() < 0.95 else None,
        ))  # fmt: skip
    return out


def both(delay: int) -> tuple[FeatureState, FeatureState]:
    return FeatureState(delay), FeatureState(delay, compiled=False)


def assert_batches_equal(orders: list[OrderFacts], sizes: list[int], delay: int) -> None:
    fast, slow = both(delay)
    i = 0
    for size in sizes:
        a = fast.update_and_compute(orders[i : i + size])
        b = slow.update_and_compute(orders[i : i + size])
        assert a.shape == b.shape == (len(orders[i : i + size]), len(FEATURE_NAMES))
        bad = np.argwhere(a != b)
        assert not len(bad), f"rows {i}..{i + size}: " + ", ".join(
            f"{FEATURE_NAMES[c]}: {a[r, c]!r} != {b[r, c]!r}" for r, c in bad[:5].tolist()
        )
        i += size
    for company_id in {f.company_id for f in orders}:
        assert fast.company(company_id).sizes() == slow.company(company_id).sizes()


@pytest.mark.parametrize("seed", range(8))
def test_random_streams_in_random_batches(seed: int) -> None:
    r = random.Random(100 + seed)
    orders = stream(seed, 3000, companies=r.choice((1, 3)))
    sizes = [r.choice((1, 2, 7, 64, 500, 1500)) for _ in range(400)]
    assert_batches_equal(orders, sizes, r.choice((0, 1, 3600, DAY, 7 * DAY)))


@pytest.mark.parametrize("seed", range(3))
def test_big_amounts_take_the_exact_paths(seed: int) -> None:
    assert_batches_equal(stream(50 + seed, 1500, big=True), [100] * 15, 7 * DAY)


def test_long_quiet_spells_free_and_reuse_slots() -> None:
    r = random.Random(9)
    orders: list[OrderFacts] = []
    at = T0
    for month in range(6):  # a few keys come back after every window and the risk expired
        for i in range(400):
            at += r.randrange(0, 900)
            user = r.randrange(5) if month % 2 else 100 + r.randrange(50)
            orders.append(OrderFacts(at, "c", f"u{user}", f"card:{r.randrange(8) + 10 * (month % 3)}",
                                     RecipientKind.CARD, r.randrange(1, 9000), f"d{user % 3}", None,
                                     r.choice((0, 1)), f"o{month}-{i}"))  # fmt: skip
        at += r.choice((31, 45, 70)) * DAY
    assert_batches_equal(orders, [r.choice((3, 50, 400)) for _ in range(200)], 7 * DAY)


@pytest.mark.parametrize("seed", range(4))
def test_analyst_labels_pending_later_and_unknown(seed: int) -> None:
    """Labels for pending orders, for orders not fed yet, for unknown and matured orders, and
    relabels; checked order by order and through batches."""
    r = random.Random(seed)
    delay = r.choice((3600, DAY, 7 * DAY))
    orders = stream(200 + seed, 2500, companies=1)
    fast, slow = CompanyFeatures(delay), PythonCompanyFeatures(delay)
    i = 0
    while i < len(orders):
        size = r.choice((1, 1, 5, 80))
        for _ in range(r.choice((0, 0, 1, 3))):
            target = f"o{r.randrange(max(1, i + 40))}"  # fed, pending, or still to come
            at = orders[min(i, len(orders) - 1)].at - r.randrange(2 * delay + 1)
            label = r.choice((0, 1, 1))
            assert fast.label(target, at, label) == slow.label(target, at, label)
        batch = orders[i : i + size]
        a, b = np.empty((len(batch), len(FEATURE_NAMES))), np.empty((len(batch), len(FEATURE_NAMES)))
        fast.rows(batch, a)
        slow.rows(batch, b)
        assert np.array_equal(a, b), f"rows {i}..{i + size}"
        assert fast.sizes() == slow.sizes()
        i += size


def test_replay_order_by_order_rebuilds_the_batch_state() -> None:
    """The intake rebuilds a partition's state by replaying its facts one by one: the next
    batch's features are the same as those of the state that computed them in batches."""
    orders = stream(77, 4000, companies=1)
    batched = FeatureState()
    for i in range(0, 3000, 250):
        batched.update_and_compute(orders[i : i + 250])
    replayed = CompanyFeatures()
    for f in orders[:3000]:
        replayed.compute_and_add(f)
    a = batched.update_and_compute(orders[3000:])
    b = np.empty_like(a)
    replayed.rows(orders[3000:], b)
    assert np.array_equal(a, b)
    assert replayed.sizes() == batched.company("c0").sizes()


def test_an_order_out_of_time_order_is_refused_after_the_ones_before_it() -> None:
    orders = stream(5, 10, companies=1)
    late = OrderFacts(orders[-1].at - 1, "c0", "u1", "card:1", RecipientKind.CARD, 5)
    fast, slow = CompanyFeatures(), PythonCompanyFeatures()
    for state in (fast, slow):
        with pytest.raises(ValueError, match="time order"):
            state.rows([*orders, late], np.empty((11, len(FEATURE_NAMES))))
    assert fast.clock == slow.clock == orders[-1].at
    assert fast.sizes() == slow.sizes()
    assert fast.compute_and_add(orders[-1]) == slow.compute_and_add(orders[-1])


def test_compute_and_add_is_one_row_of_the_batch() -> None:
    f = stream(6, 1)[0]
    row = CompanyFeatures().compute_and_add(f)
    assert row == PythonCompanyFeatures().compute_and_add(f)
    assert len(row) == len(FEATURE_NAMES) and all(isinstance(v, float) for v in row)
