"""The transaction simulator of Le Borgne et al., "Reproducible Machine Learning for Credit Card
Fraud Detection – Practical Handbook", chapter 3, vectorized and seeded.

Customers become end users and terminals become recipient cards. Same generative process and
the same three fraud scenarios; the random streams differ from the book's (one numpy Generator
instead of per-customer seeds), so figures match in distribution, not digit for digit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

HANDBOOK_START = datetime(2018, 4, 1, tzinfo=UTC)
DAY = 86400


class Scenario(enum.IntEnum):
    GENUINE = 0
    LARGE_AMOUNT = 1  # amount above 220: fraud
    COMPROMISED_TERMINAL = 2  # all of a terminal's transactions for 28 days
    LEAKED_CUSTOMER = 3  # a third of a customer's transactions for 14 days, amount ×5
    # Payout-specific scenarios (the `payouts` profile)
    MULE_CARD = 4  # many end users pay one new card within hours
    CARD_TESTING = 5  # one end user, a burst of small payouts to many new cards
    ACCOUNT_TAKEOVER = 6  # a user's account pays a new card from a new device, large amounts


@dataclass(frozen=True, slots=True)
class HandbookConfig:
    customers: int = 5000
    terminals: int = 10000
    days: int = 183
    radius: float = 5.0
    start: datetime = HANDBOOK_START
    seed: int = 0
    compromised_terminals_per_day: int = 2
    terminal_compromise_days: int = 28
    leaked_customers_per_day: int = 3
    leak_days: int = 14
    large_amount_minor: int = 22000  # 220.00


@dataclass(frozen=True, slots=True)
class Transactions:
    """Columns of the simulated history, sorted by time; amounts in minor units."""

    at: np.ndarray  # int64 epoch seconds
    customer: np.ndarray  # int64
    terminal: np.ndarray  # int64
    amount: np.ndarray  # int64 minor units
    label: np.ndarray  # int8
    scenario: np.ndarray  # int8
    device: np.ndarray  # int64, -1 when the order carries none (the handbook has none)
    ip: np.ndarray  # int64, -1 when none

    def __len__(self) -> int:
        return len(self.at)


def simulate_handbook(config: HandbookConfig) -> Transactions:
    rng = np.random.default_rng(config.seed)
    n_c, n_t = config.customers, config.terminals
    cxy = rng.uniform(0, 100, size=(n_c, 2))
    mean_amount = rng.uniform(5, 100, size=n_c)
    std_amount = mean_amount / 2
    mean_per_day = rng.uniform(0, 4, size=n_c)
    txy = rng.uniform(0, 100, size=(n_t, 2))

    days, customers, terminals, seconds, amounts = [], [], [], [], []
    for c in range(n_c):
        distance = np.sqrt(((txy - cxy[c]) ** 2).sum(axis=1))
        nearby = np.flatnonzero(distance < config.radius)
        if len(nearby) == 0:
            continue  # the book's customers without a terminal in reach never transact
        per_day = rng.poisson(mean_per_day[c], size=config.days)
        day = np.repeat(np.arange(config.days), per_day)
        time = rng.normal(DAY / 2, 20000, size=len(day)).astype(np.int64)
        keep = (time > 0) & (time < DAY)  # the book drops times that fall outside the day
        day, time = day[keep], time[keep]
        amount = rng.normal(mean_amount[c], std_amount[c], size=len(day))
        negative = amount < 0
        amount[negative] = rng.uniform(0, 2 * mean_amount[c], size=int(negative.sum()))
        days.append(day)
        seconds.append(time)
        amounts.append(np.maximum(np.rint(amount * 100).astype(np.int64), 1))  # > 0 for the API
        terminals.append(nearby[rng.integers(0, len(nearby), size=len(day))])
        customers.append(np.full(len(day), c, dtype=np.int64))

    day = np.concatenate(days)
    customer = np.concatenate(customers)
    terminal = np.concatenate(terminals)
    amount = np.concatenate(amounts)
    time = np.concatenate(seconds)
    label = np.zeros(len(day), dtype=np.int8)
    scenario = np.zeros(len(day), dtype=np.int8)
    _add_frauds(config, rng, day, customer, terminal, amount, label, scenario)

    at = int(config.start.timestamp()) + day * DAY + time
    order = np.lexsort((customer, at))  # by time, ties by customer: deterministic
    none = np.full(len(order), -1, dtype=np.int64)
    return Transactions(
        at[order], customer[order], terminal[order], amount[order], label[order], scenario[order],
        none, none.copy(),
    )  # fmt: skip


def scaled_count(rng: np.random.Generator, expected: float) -> int:
    """A whole count with the given expectation: exact when `expected` is whole."""
    whole = int(expected)
    return whole + int(rng.random() < expected - whole)


def _add_frauds(
    config: HandbookConfig,
    rng: np.random.Generator,
    day: np.ndarray,
    customer: np.ndarray,
    terminal: np.ndarray,
    amount: np.ndarray,
    label: np.ndarray,
    scenario: np.ndarray,
) -> None:
    """The book's three scenarios, applied in its order (so a leak can multiply a large amount)."""
    large = amount > config.large_amount_minor
    label[large] = 1
    scenario[large] = Scenario.LARGE_AMOUNT

    last_day = int(day.max())
    # The book's daily counts are for 10,000 terminals and 5,000 customers; smaller runs scale
    # them so fraud shares stay alike (rounded at random: 0.12 a day is one day in eight).
    terminals_per_day = config.compromised_terminals_per_day * config.terminals / 10000
    customers_per_day = config.leaked_customers_per_day * config.customers / 5000
    for d in range(last_day):  # the book loops over range(max day)
        n = min(scaled_count(rng, terminals_per_day), config.terminals)
        hit = rng.choice(config.terminals, size=n, replace=False)
        mask = (day >= d) & (day < d + config.terminal_compromise_days) & np.isin(terminal, hit)
        label[mask] = 1
        scenario[mask] = Scenario.COMPROMISED_TERMINAL

    # Transactions are grouped by customer here (generated customer by customer): index ranges.
    starts = np.searchsorted(customer, np.arange(config.customers + 1))
    for d in range(last_day):
        n = min(scaled_count(rng, customers_per_day), config.customers)
        leaked = rng.choice(config.customers, size=n, replace=False)
        rows = np.concatenate([np.arange(starts[c], starts[c + 1]) for c in leaked] or [starts[:0]])
        rows = rows[(day[rows] >= d) & (day[rows] < d + config.leak_days)]
        chosen = rng.choice(rows, size=len(rows) // 3, replace=False) if len(rows) else rows
        amount[chosen] *= 5
        label[chosen] = 1
        scenario[chosen] = Scenario.LEAKED_CUSTOMER
