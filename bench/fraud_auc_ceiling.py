"""The highest ROC AUC any model can expect on the handbook's test week (issue 6, acceptance 1).

`.venv/bin/python -m bench.fraud_auc_ceiling [--seed 0] [--known-from 2018-07-25 2018-05-01]`

A compromised terminal's frauds are the terminal's ordinary payouts, relabelled (the handbook's
scenario 2). Under the 7-day label delay, a terminal compromised less than 7 days before a test
row has no usable label yet, and nothing observable tells its payouts from any other terminal's:
same customers, amounts and volumes. Such a fraud ("no signal": scenario 2, amount at most
220.00, no scenario-2 label at its terminal in [row - 28 d, row - 7 d], its end user not in a leak
of the last 14 days) is distributed like the genuine rows of the same kind (class A).

The bound is generous to the model: every other fraud is ranked above every genuine row, and
every genuine row outside class A below every class-A row; inside class A the ranking is a coin
toss (expected 1/2). So
    AUC <= (detectable × genuine + no_signal × (genuine_outside_A + genuine_in_A / 2)) / (frauds × genuine).
Test rows as the backtest: the test days, leaving out end users known defrauded (a fraud from
`known_from` up to the delay before the row's day).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from detectors.simulate.handbook import DAY, HandbookConfig, Scenario, Transactions, simulate_handbook

TERMINAL_COMPROMISE_S = 28 * DAY
LEAK_S = 14 * DAY
LARGE_AMOUNT_MINOR = 22000


@dataclass(frozen=True, slots=True)
class Ceiling:
    test_rows: int
    frauds: int
    no_signal: int
    genuine: int
    genuine_outside_a: int

    @property
    def auc_bound(self) -> float:
        detectable = self.frauds - self.no_signal
        in_a = self.genuine - self.genuine_outside_a
        wins = detectable * self.genuine + self.no_signal * (self.genuine_outside_a + in_a / 2)
        return wins / (self.frauds * self.genuine)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def auc_ceiling(t: Transactions, first: date, last: date, known_from: date, delay_days: int = 7) -> Ceiling:
    delay = delay_days * DAY
    fraud = t.label == 1
    known_since: dict[int, int] = {}  # end user → day of the first fraud counted as known
    for at, user in zip(t.at[fraud].tolist(), t.customer[fraud].tolist(), strict=True):
        if at >= _epoch(known_from) and user not in known_since:
            known_since[user] = at // DAY
    compromised: dict[int, list[int]] = {}  # terminal → times of its scenario-2 frauds
    for i in np.flatnonzero(t.scenario == Scenario.COMPROMISED_TERMINAL).tolist():
        compromised.setdefault(int(t.terminal[i]), []).append(int(t.at[i]))
    leaked: dict[int, list[int]] = {}  # end user → times of its leaked-credential frauds
    for i in np.flatnonzero(t.scenario == Scenario.LEAKED_CUSTOMER).tolist():
        leaked.setdefault(int(t.customer[i]), []).append(int(t.at[i]))

    test = np.flatnonzero((t.at >= _epoch(first)) & (t.at < _epoch(last) + DAY))
    rows = frauds = no_signal = genuine = outside_a = 0
    for i in test.tolist():
        at, user = int(t.at[i]), int(t.customer[i])
        if user in known_since and known_since[user] <= at // DAY - delay_days - 1:
            continue  # known defrauded: left out, as the backtest does
        rows += 1
        # A compromise that may still run at `at` shows in the labels usable by then.
        terminal_known = any(at - TERMINAL_COMPROMISE_S <= s <= at - delay for s in compromised.get(int(t.terminal[i]), ()))
        leaking = any(at - LEAK_S <= s <= at for s in leaked.get(user, ()))
        if t.label[i]:
            frauds += 1
            no_signal += bool(t.scenario[i] == Scenario.COMPROMISED_TERMINAL and t.amount[i] <= LARGE_AMOUNT_MINOR
                              and not terminal_known and not leaking)  # fmt: skip
        else:
            genuine += 1
            outside_a += terminal_known or leaking
    return Ceiling(rows, frauds, no_signal, genuine, outside_a)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=date.fromisoformat, default=date(2018, 8, 8))
    p.add_argument("--last", type=date.fromisoformat, default=date(2018, 8, 14))
    p.add_argument("--known-from", type=date.fromisoformat, nargs="+", default=[date(2018, 7, 25), date(2018, 5, 1)])
    args = p.parse_args(argv)
    transactions = simulate_handbook(HandbookConfig(seed=args.seed))
    print(f"handbook seed {args.seed}: {len(transactions):,} rows, test {args.first}..{args.last}, 7-day delay")
    print("| known defrauded from | test rows | frauds | no signal | genuine | genuine outside A | ROC AUC at most |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for known_from in args.known_from:
        c = auc_ceiling(transactions, args.first, args.last, known_from)
        print(f"| {known_from} | {c.test_rows:,} | {c.frauds} | {c.no_signal} | {c.genuine:,} | "
              f"{c.genuine_outside_a:,} | {c.auc_bound:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
