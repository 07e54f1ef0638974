"""Use cases behind testing and backtesting a rule version before it is published.

A test evaluates the version on up to 100 stored orders (their decisions' feature rows) or on
samples the analyst types, and shows per order whether it fired and the values it read. A
backtest evaluates it over every stored decision of a period, read in chunks and evaluated
in numpy batches off the event loop, against the confirmed frauds of the period (precision:
of its hits, how many were fraud; recall: of the frauds, how many it hit), next to the version
of the same rule in force. Periods and row counts are capped. Reads only: nothing is audited
but the request log has them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import numpy as np

from api.staff.rule_service import RuleAdmin
from detectors.rules import Rule, RuleSet
from detectors.rules.trials import DecisionChunk, HistoryPeriod, SampleError, Tally, fired_by, read_values, sample_chunk
from domain.errors import DomainError, InvalidCommand

MAX_TEST_ORDERS = 100
MAX_PERIOD = timedelta(days=92)
MAX_BACKTEST_ROWS = 1_000_000
CHUNK_ROWS = 5_000


class BacktestTooLarge(DomainError):
    status = 422
    slug = "backtest-too-large"
    title = "Too many decisions in the period to backtest at once"


class DecisionHistory(Protocol):
    async def count(self, period: HistoryPeriod) -> int: ...

    async def page(
        self, period: HistoryPeriod, names: frozenset[str], after: tuple[datetime, str] | None, limit: int
    ) -> DecisionChunk: ...

    async def for_orders(self, order_ids: Sequence[str], names: frozenset[str]) -> DecisionChunk: ...

    async def confirmed_frauds(self, period: HistoryPeriod) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class TestedOrder:
    order_id: str  # "sample-<i>" for a sample
    fired: bool
    values: dict[str, Any]  # what the rule read
    stored_outcome: str  # the decision made at the time ("" for a sample)


@dataclass(frozen=True, slots=True)
class RuleTest:
    rule: Rule
    orders: tuple[TestedOrder, ...]
    missing: tuple[str, ...]  # order ids without a stored decision


@dataclass(frozen=True, slots=True)
class Backtest:
    rule: Rule
    in_force: Rule | None  # the version of this rule the set in force uses, if any
    period: HistoryPeriod
    decisions: int
    tally: Tally
    in_force_tally: Tally | None


class RuleTrials:
    def __init__(
        self, rules: RuleAdmin, history: DecisionHistory, max_rows: int = MAX_BACKTEST_ROWS,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:  # fmt: skip
        self._rules = rules
        self._history = history
        self._max_rows = max_rows
        self._chunk_rows = chunk_rows

    async def test(
        self, rule_id: str, version: int | None, order_ids: Sequence[str] | None,
        samples: Sequence[Mapping[str, Any]] | None,
    ) -> RuleTest:  # fmt: skip
        """On stored orders (`order_ids`) or on `samples`, whichever is given."""
        if order_ids is not None:
            return await self.test_orders(rule_id, version, order_ids)
        return self.test_samples(rule_id, version, samples or ())

    async def test_orders(self, rule_id: str, version: int | None, order_ids: Sequence[str]) -> RuleTest:
        if not 1 <= len(order_ids) <= MAX_TEST_ORDERS:
            raise InvalidCommand(f"test 1 to {MAX_TEST_ORDERS} orders at once", "/order_ids")
        rule = self._rules.version(rule_id, version)
        ruleset = RuleSet.compile((rule,))
        unique = list(dict.fromkeys(order_ids))
        chunk = await self._history.for_orders(unique, ruleset.names)
        found = set(chunk.order_ids)
        return RuleTest(rule, _tested(ruleset, chunk), tuple(o for o in unique if o not in found))

    def test_samples(self, rule_id: str, version: int | None, samples: Sequence[Mapping[str, Any]]) -> RuleTest:
        if not 1 <= len(samples) <= MAX_TEST_ORDERS:
            raise InvalidCommand(f"test 1 to {MAX_TEST_ORDERS} samples at once", "/samples")
        rule = self._rules.version(rule_id, version)
        try:
            chunk = sample_chunk(samples)
        except SampleError as e:
            raise InvalidCommand(str(e), "/samples") from None
        return RuleTest(rule, _tested(RuleSet.compile((rule,)), chunk), ())

    async def backtest(self, rule_id: str, version: int | None, period: HistoryPeriod) -> Backtest:
        if period.end <= period.start:
            raise InvalidCommand("`to` must be after `from`", "/to")
        if period.end - period.start > MAX_PERIOD:
            raise InvalidCommand(f"backtest at most {MAX_PERIOD.days} days at once", "/to")
        rule = self._rules.version(rule_id, version)
        current = self._rules.in_force(rule_id)
        decisions = await self._history.count(period)
        if decisions > self._max_rows:
            raise BacktestTooLarge(f"{decisions} decisions in the period; backtest at most {self._max_rows} "
                                   "at once (narrow from/to or pick a company)")  # fmt: skip
        frauds = await self._history.confirmed_frauds(period)
        candidate = RuleSet.compile((rule,))
        compare = RuleSet.compile((current,)) if current is not None else None
        names = candidate.names | (compare.names if compare is not None else frozenset())
        tally, in_force_tally = Tally(), Tally() if compare is not None else None
        after: tuple[datetime, str] | None = None
        while True:
            chunk = await self._history.page(period, names, after, self._chunk_rows)
            if not len(chunk):
                break
            await asyncio.to_thread(_tally_chunk, chunk, frauds, candidate, tally, compare, in_force_tally)
            after = (chunk.at[-1], chunk.order_ids[-1])
            if len(chunk) < self._chunk_rows:
                break
        return Backtest(rule, current, period, decisions, tally, in_force_tally)


def _tested(ruleset: RuleSet, chunk: DecisionChunk) -> tuple[TestedOrder, ...]:
    hit = fired_by(ruleset, chunk)
    return tuple(
        TestedOrder(order_id, bool(hit[i]), read_values(ruleset.names, chunk, i), chunk.outcomes[i])
        for i, order_id in enumerate(chunk.order_ids)
    )


def _tally_chunk(
    chunk: DecisionChunk, frauds: frozenset[str], candidate: RuleSet, tally: Tally,
    compare: RuleSet | None, compare_tally: Tally | None,
) -> None:  # fmt: skip
    fraud = np.fromiter((o in frauds for o in chunk.order_ids), dtype=np.bool_, count=len(chunk))
    days: list[date] = [at.date() for at in chunk.at]
    tally.add(fired_by(candidate, chunk), fraud, days)
    if compare is not None and compare_tally is not None:
        compare_tally.add(fired_by(compare, chunk), fraud, days)
