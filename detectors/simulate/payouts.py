"""The `payouts` profile: the handbook's history plus frauds particular to payouts.

End users get devices and IPs; then, every day, on top of the handbook scenarios:
- mule card: many end users pay one brand-new card within a few hours;
- card testing: a fresh end user on a fresh device sends a burst of small payouts to many new
  cards within minutes;
- account takeover: an existing end user's account, from a new device and IP, pays a new card
  a few times at several times its usual amount.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from detectors.simulate.handbook import (
    DAY,
    HandbookConfig,
    Scenario,
    Transactions,
    scaled_count,
    simulate_handbook,
)


@dataclass(frozen=True, slots=True)
class PayoutsConfig:
    base: HandbookConfig = HandbookConfig()
    mules_per_day: int = 1
    card_tests_per_day: int = 1
    takeovers_per_day: int = 2


def simulate_payouts(config: PayoutsConfig) -> Transactions:
    base = simulate_handbook(config.base)
    rng = np.random.default_rng([config.base.seed, 1])  # independent of the base's stream
    n_c = config.base.customers
    # Each end user has one or two devices and a home IP; IPs are sometimes shared (homes).
    second_device = rng.random(n_c) < 0.2
    home_ip = rng.integers(0, max(1, int(n_c * 0.8)), size=n_c)
    use_second = second_device[base.customer] & (rng.random(len(base)) < 0.5)
    device = base.customer * 2 + use_second
    roaming = rng.random(len(base)) < 0.1
    ip = np.where(roaming, n_c + rng.integers(0, n_c, size=len(base)), home_ip[base.customer])
    base = replace(base, device=device, ip=ip)

    mean_amount = np.bincount(base.customer, weights=base.amount, minlength=n_c) / np.maximum(
        np.bincount(base.customer, minlength=n_c), 1
    )
    ids = _Fresh(
        user=n_c, card=config.base.terminals, device=2 * n_c, ip=2 * n_c
    )  # new ids never collide with the base's
    parts = [base]
    start = int(config.base.start.timestamp())
    scale = n_c / 5000  # the daily counts are for the book's 5,000 end users
    for d in range(config.base.days):
        day0 = start + d * DAY
        for _ in range(scaled_count(rng, config.mules_per_day * scale)):
            parts.append(_mule(rng, day0, n_c, home_ip, ids))
        for _ in range(scaled_count(rng, config.card_tests_per_day * scale)):
            parts.append(_card_test(rng, day0, ids))
        for _ in range(scaled_count(rng, config.takeovers_per_day * scale)):
            parts.append(_takeover(rng, day0, n_c, mean_amount, ids))
    return _sorted(parts)


class _Fresh:
    """Allocates ids of users, cards, devices and IPs never seen before."""

    def __init__(self, user: int, card: int, device: int, ip: int) -> None:
        self.next = {"user": user, "card": card, "device": device, "ip": ip}

    def __call__(self, kind: str, n: int = 1) -> np.ndarray:
        first = self.next[kind]
        self.next[kind] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def _rows(
    at: np.ndarray, user: np.ndarray, card: np.ndarray, amount: np.ndarray,
    scenario: Scenario, device: np.ndarray, ip: np.ndarray,
) -> Transactions:  # fmt: skip
    n = len(at)
    return Transactions(
        at.astype(np.int64), user, card, amount.astype(np.int64),
        np.ones(n, dtype=np.int8), np.full(n, scenario, dtype=np.int8), device, ip,
    )  # fmt: skip


def _mule(rng: np.random.Generator, day0: int, n_c: int, home_ip: np.ndarray, ids: _Fresh) -> Transactions:
    n = int(rng.integers(10, 26))
    users = rng.choice(n_c, size=min(n, n_c), replace=False)
    n = len(users)
    at = day0 + int(rng.integers(0, DAY - 3 * 3600)) + np.sort(rng.integers(0, 3 * 3600, size=n))
    card = np.repeat(ids("card"), n)
    amount = rng.integers(3000, 15000, size=n)
    return _rows(at, users, card, amount, Scenario.MULE_CARD, users * 2, home_ip[users])


def _card_test(rng: np.random.Generator, day0: int, ids: _Fresh) -> Transactions:
    n = int(rng.integers(15, 41))
    at = day0 + int(rng.integers(0, DAY - 600)) + np.sort(rng.integers(0, 600, size=n))
    user = np.repeat(ids("user"), n)
    amount = rng.integers(100, 500, size=n)
    device, ip = np.repeat(ids("device"), n), np.repeat(ids("ip"), n)
    return _rows(at, user, ids("card", n), amount, Scenario.CARD_TESTING, device, ip)


def _takeover(
    rng: np.random.Generator, day0: int, n_c: int, mean_amount: np.ndarray, ids: _Fresh
) -> Transactions:
    victim = int(rng.integers(0, n_c))
    n = int(rng.integers(1, 5))
    at = day0 + int(rng.integers(0, DAY - 6 * 3600)) + np.sort(rng.integers(0, 6 * 3600, size=n))
    base = max(float(mean_amount[victim]), 1000.0)
    amount = np.rint(base * rng.uniform(3, 8, size=n))
    user = np.full(n, victim, dtype=np.int64)
    card = np.repeat(ids("card"), n)
    device, ip = np.repeat(ids("device"), n), np.repeat(ids("ip"), n)
    return _rows(at, user, card, amount, Scenario.ACCOUNT_TAKEOVER, device, ip)


def _sorted(parts: list[Transactions]) -> Transactions:
    columns = {
        name: np.concatenate([getattr(p, name) for p in parts])
        for name in ("at", "customer", "terminal", "amount", "label", "scenario", "device", "ip")
    }
    order = np.lexsort((columns["customer"], columns["at"]))
    return Transactions(**{name: values[order] for name, values in columns.items()})
