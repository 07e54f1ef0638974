"""The AUC bound of issue 6 on a hand-made history whose classes are known row by row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from bench.fraud_auc_ceiling import auc_ceiling
from detectors.simulate.handbook import DAY, Scenario, Transactions

TEST_DAY = int(datetime(2018, 8, 8, 12, tzinfo=UTC).timestamp())
G, T, L, X = Scenario.GENUINE, Scenario.COMPROMISED_TERMINAL, Scenario.LARGE_AMOUNT, Scenario.LEAKED_CUSTOMER


def _history(rows: list[tuple[int, int, int, int, Scenario]]) -> Transactions:
    """(seconds from the test day's noon, end user, terminal, amount, scenario) per row."""
    at, user, terminal, amount, scenario = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    none = np.full(len(rows), -1, dtype=np.int64)
    return Transactions(TEST_DAY + at, user, terminal, amount, (scenario != G).astype(np.int8),
                        scenario.astype(np.int8), none, none.copy())  # fmt: skip


def test_only_frauds_with_no_observable_sign_count_as_a_coin_toss() -> None:
    history = _history([
        (-10 * DAY, 3, 3, 5_000, T),  # terminal 3 compromised 10 days ago: usable now
        (-10 * DAY, 9, 7, 5_000, X),  # user 9 defrauded before: known, left out of the test
        (0, 1, 1, 5_000, G),  # genuine, nothing known: class A
        (1, 2, 2, 5_000, T),  # terminal 2 compromised today: no signal
        (2, 4, 3, 5_000, T),  # terminal 3 again: detectable
        (3, 5, 3, 5_000, G),  # genuine at a terminal with a usable compromise: outside A
        (4, 6, 4, 30_000, L),  # large amount: detectable
        (5, 9, 8, 5_000, G),  # the known-defrauded user: left out
    ])  # fmt: skip
    c = auc_ceiling(history, date(2018, 8, 8), date(2018, 8, 8), known_from=date(2018, 5, 1))
    assert (c.test_rows, c.frauds, c.no_signal, c.genuine, c.genuine_outside_a) == (5, 3, 1, 2, 1)
    # 2 detectable frauds beat both genuine rows; the no-signal one beats the row outside A
    # and ties (1/2) with the class-A row: (2·2 + 1·(1 + 1/2)) / (3·2).
    assert c.auc_bound == pytest.approx(5.5 / 6)


def test_a_compromise_older_than_its_28_days_or_newer_than_the_delay_tells_nothing() -> None:
    history = _history([
        (-40 * DAY, 3, 3, 5_000, T),  # over long ago
        (-3 * DAY, 5, 5, 5_000, T),  # not usable yet (7-day delay)
        (0, 1, 3, 5_000, T),
        (1, 2, 5, 5_000, T),
        (2, 4, 3, 5_000, G),
    ])  # fmt: skip
    c = auc_ceiling(history, date(2018, 8, 8), date(2018, 8, 8), known_from=date(2018, 8, 8))
    assert (c.frauds, c.no_signal, c.genuine, c.genuine_outside_a) == (2, 2, 1, 0)
    assert c.auc_bound == pytest.approx(0.5)
