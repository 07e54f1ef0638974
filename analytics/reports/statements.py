"""Per-company statements from the ledger's entries: opening balance, the period's movements
grouped by kind, closing balance, and whether they reconcile.

A company's balance is available + reserved. Top-ups and credit adjustments raise it;
captures, fees and debit adjustments lower it; reserve and release only move money between
available and reserved, so they net out (listed, with a net of 0). Every entry carries the
balance right after it (`available_after`, `reserved_after`), so the opening balance is the
last entry before the period and the closing balance the last entry before its end: one
lookup each. The statement reconciles when opening + movements == closing, for available
and reserved alike. `statement_from_entries` builds the same statement from the ledger's own
entries (as `quadra ledger verify` reads them from Kafka) and `compare_statements` tells the
two apart, so the report can be checked against the books.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.rollups.definitions import AVAILABLE_DELTA, LEDGER, RESERVED_DELTA
from analytics.rollups.plan import TimeRange
from analytics.rollups.ranges import computation_condition, range_condition
from analytics.rollups.state import period_split
from domain.ledger import Entry

_BALANCE_ACCOUNTS = ("available", "reserved")
_WINDOWS = (timedelta(days=1), None)  # balance_before looks back this far first, then without bound
# Copies of an entry are identical (a replay), so filtering before FINAL (PREWHERE) is exact;
# and they share `at`, the partition key, so FINAL need not merge across partitions.
_FINAL_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}


@dataclass(frozen=True, slots=True)
class Balance:
    available: int = 0
    reserved: int = 0

    @property
    def total(self) -> int:
        return self.available + self.reserved

    def plus(self, available: int, reserved: int) -> Balance:
        return Balance(self.available + available, self.reserved + reserved)


@dataclass(frozen=True, slots=True)
class Movement:
    kind: str  # the ledger entry kind: top_up, reserve, capture, fee, release, adjustment
    count: int
    amount: int  # sum of the entries' amounts (always positive)
    available_delta: int  # what the entries did to available
    reserved_delta: int  # … and to reserved

    @property
    def net(self) -> int:
        """The change to the balance (available + reserved): 0 for reserve and release."""
        return self.available_delta + self.reserved_delta


@dataclass(frozen=True, slots=True)
class Statement:
    company_id: str
    currency: str
    period_from: datetime  # inclusive
    period_to: datetime  # exclusive
    opening: Balance
    movements: tuple[Movement, ...]  # by kind, sorted by kind
    closing: Balance

    @property
    def net(self) -> int:
        return sum(m.net for m in self.movements)

    @property
    def expected_closing(self) -> Balance:
        return self.opening.plus(
            sum(m.available_delta for m in self.movements), sum(m.reserved_delta for m in self.movements)
        )

    @property
    def difference(self) -> int:
        """closing − (opening + movements), as a balance total: 0 when it reconciles."""
        return self.closing.total - self.expected_closing.total

    @property
    def reconciled(self) -> bool:
        return self.expected_closing == self.closing


def _deltas(source: str, target: str, amount: int) -> tuple[int, int]:
    available = (amount if target == "available" else 0) - (amount if source == "available" else 0)
    reserved = (amount if target == "reserved" else 0) - (amount if source == "reserved" else 0)
    return available, reserved


def _last_of_ties(rows: list[tuple[Any, ...]]) -> Balance | None:
    """The balance after a group of entries sharing one timestamp, whatever their log order:
    each entry's balance before it is the balance after the previous one, so the one balance
    after that no entry starts from is the last. None when that cannot be told (a zero-sum
    cycle within the group)."""
    unique = {r[0]: r for r in rows}.values()  # a replayed entry may appear twice before merges
    if len(unique) == 1:
        (_, available, reserved, *_rest) = next(iter(unique))
        return Balance(int(available), int(reserved))
    afters: Counter[tuple[int, int]] = Counter()
    befores: Counter[tuple[int, int]] = Counter()
    for _, available, reserved, source, target, amount in unique:
        da, dr = _deltas(source, target, int(amount))
        afters[(int(available), int(reserved))] += 1
        befores[(int(available) - da, int(reserved) - dr)] += 1
    left = list((afters - befores).elements())
    return Balance(*left[0]) if len(left) == 1 else None


class ClickHouseStatements:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    def _scope(self, company_id: str, currency: str, before: datetime) -> dict[str, Any]:
        return {"company_id": company_id, "currency": currency, "before": before}

    async def balance_before(self, company_id: str, currency: str, before: datetime) -> Balance:
        """The balance after the last entry earlier than `before` (zero if there is none)."""
        table = self._ch.table("ledger_entries")
        # No FINAL: a replayed entry is identical to the first (same id, same row), and
        # _last_of_ties counts an id once. Without FINAL this reads backwards along the sort key
        # from `before`; with FINAL it merged the company's whole history first (the largest
        # company's statement took ~450 ms on 10 M orders). WITH TIES does not stop at the
        # first timestamp, though (~150 ms per lookup for the largest company): the last day
        # is asked first, and the whole history only if that day has no entry. The answer is
        # the same: the latest entries before `before` all lie in the first window that has one.
        rows: list[tuple[Any, ...]] = []
        for window in _WINDOWS:
            params = self._scope(company_id, currency, before)
            since = ""
            if window is not None:
                since, params["since"] = "AND at >= {since:DateTime64(3, 'UTC')} ", before - window
            rows = await self._ch.query(
                "SELECT entry_id, available_after, reserved_after, source, target, amount "
                f"FROM {table} WHERE company_id = {{company_id:String}} "
                f"AND currency = {{currency:String}} AND at < {{before:DateTime64(3, 'UTC')}} {since}"
                "ORDER BY at DESC LIMIT 1 WITH TIES",
                params,
            )
            if rows:
                break
        if not rows:
            return Balance()
        found = _last_of_ties(rows)
        if found is not None:
            return found
        # Ambiguous ties: sum every earlier entry instead (exact, but reads the history).
        summed = await self._ch.query(
            f"SELECT sum({AVAILABLE_DELTA}), sum({RESERVED_DELTA}) "
            f"FROM {table} FINAL PREWHERE company_id = {{company_id:String}} "
            "AND currency = {currency:String} AND at < {before:DateTime64(3, 'UTC')}",
            self._scope(company_id, currency, before),
            _FINAL_SETTINGS,
        )
        return Balance(int(summed[0][0]), int(summed[0][1]))

    async def movements(
        self, company_id: str, currency: str, period_from: datetime, period_to: datetime,
        *, live: bool = False,
    ) -> tuple[Movement, ...]:  # fmt: skip
        """The period's entries by kind: whole clean days from the daily rollup (ledger_daily,
        exact: analytics.rollups.refresh), the rest (edges, dirty days) from the entries.
        `live`: from the entries alone (the same movements, slower)."""
        scope = {"company_id": company_id, "currency": currency}
        split = None if live else await period_split(self._ch, LEDGER, period_from, period_to)
        if split is None or not split.rollup_days:
            ranges = (TimeRange(period_from, period_to),)
            sql = _live_movements(self._ch, ranges, scope) + " ORDER BY kind"
            rows = await self._ch.query(sql, scope, _FINAL_SETTINGS)
            return _movements(rows)
        stored, params = computation_condition(split.rollup_days)
        parts = [
            "SELECT kind, sum(entries) AS n, sum(amount) AS a, sum(available_delta) AS da, "
            f"sum(reserved_delta) AS dr FROM {self._ch.table(LEDGER.target)} "
            f"WHERE company_id = {{company_id:String}} AND currency = {{currency:String}} AND {stored} "
            "GROUP BY kind"
        ]
        if split.live:
            parts.append(_live_movements(self._ch, split.live, params))
        rows = await self._ch.query(
            f"SELECT kind, sum(n), sum(a), sum(da), sum(dr) FROM ({' UNION ALL '.join(parts)}) "
            "GROUP BY kind ORDER BY kind",
            {**scope, **params},
            _FINAL_SETTINGS,
        )
        return _movements(rows)

    async def statement(
        self, company_id: str, currency: str, period_from: datetime, period_to: datetime,
        *, live: bool = False,
    ) -> Statement:  # fmt: skip
        """`live`: movements from the entries alone, never the daily rollup."""
        if period_to <= period_from:
            raise ValueError("the period must end after it starts")
        opening = await self.balance_before(company_id, currency, period_from)
        movements = await self.movements(company_id, currency, period_from, period_to, live=live)
        closing = await self.balance_before(company_id, currency, period_to)
        return Statement(company_id, currency, period_from, period_to, opening, movements, closing)

    async def currencies(self, company_id: str) -> list[str]:
        """Every currency the company has ledger entries in."""
        rows = await self._ch.query(
            f"SELECT DISTINCT currency FROM {self._ch.table('ledger_entries')} "
            "WHERE company_id = {company_id:String} ORDER BY currency",
            {"company_id": company_id},
        )
        return [r[0] for r in rows]


def _live_movements(ch: ClickHouse, ranges: Sequence[TimeRange], params: dict[str, Any]) -> str:
    """Entries of the company and currency in `ranges`, by kind (adds the ranges' parameters).
    Copies of an entry are identical (a replay), so PREWHERE before FINAL is exact."""
    during, range_params = range_condition("at", ranges, "p")
    params.update(range_params)
    return (
        f"SELECT kind, count() AS n, sum(amount) AS a, sum({AVAILABLE_DELTA}) AS da, "
        f"sum({RESERVED_DELTA}) AS dr FROM {ch.table('ledger_entries')} FINAL "
        "PREWHERE company_id = {company_id:String} AND currency = {currency:String} "
        f"AND {during} GROUP BY kind"
    )


def _movements(rows: list[tuple[Any, ...]]) -> tuple[Movement, ...]:
    return tuple(Movement(k, int(n), int(a), int(da), int(dr)) for k, n, a, da, dr in rows)


def statement_from_entries(
    entries: Iterable[Entry], company_id: str, currency: str, period_from: datetime, period_to: datetime
) -> Statement:
    """The statement straight from the ledger's entries (any order; a repeated entry id counts
    once), summing every entry instead of trusting the balances they carry: what the
    ClickHouse statement must equal."""
    seen: set[str] = set()
    opening, closing = [0, 0], [0, 0]
    by_kind: dict[str, list[int]] = {}
    for e in entries:
        if e.company_id != company_id or e.currency != currency or e.entry_id in seen:
            continue
        seen.add(e.entry_id)
        if e.at >= period_to:
            continue
        da, dr = _deltas(e.source.value, e.target.value, e.amount)
        closing[0] += da
        closing[1] += dr
        if e.at < period_from:
            opening[0] += da
            opening[1] += dr
            continue
        kind = by_kind.setdefault(e.kind.value, [0, 0, 0, 0])
        kind[0] += 1
        kind[1] += e.amount
        kind[2] += da
        kind[3] += dr
    movements = tuple(Movement(k, *v) for k, v in sorted(by_kind.items()))
    return Statement(
        company_id, currency, period_from, period_to, Balance(*opening), movements, Balance(*closing)
    )


def compare_statements(expected: Statement, actual: Statement) -> list[str]:
    """What differs between two statements of one company, currency and period ([] if none)."""
    label = f"{expected.company_id} {expected.currency} [{expected.period_from.isoformat()}, "
    label += f"{expected.period_to.isoformat()})"
    problems = []
    if not actual.reconciled:
        problems.append(f"{label}: opening + movements != closing (off by {actual.difference})")
    if expected.opening != actual.opening:
        problems.append(f"{label}: opening {actual.opening} but the ledger says {expected.opening}")
    if expected.closing != actual.closing:
        problems.append(f"{label}: closing {actual.closing} but the ledger says {expected.closing}")
    if expected.movements != actual.movements:
        problems.append(f"{label}: movements {actual.movements} but the ledger says {expected.movements}")
    return problems
