"""The top-suspects panels from the hourly suspects rollup (migration 0013) plus, for what it
does not cover (edge hours, dirty days, days not computed yet), the same groups computed live
from `flagged_orders FINAL` with each order's score from `flagged_decisions FINAL`: each read
returns what its panel's SQL in risk.py returns once ClickHouse merged the flagged tables' copies
(the same columns, values and order). A range's groups are the rollup's groups plus the live
groups, summed (counts) and maxed (scores): sums and maxima of disjoint parts. The live part
joins the orders of the live ranges to the decisions of the same ranges, as a day's computation
joins its orders to that day's decisions and the panel its range's orders to the range's
decisions: the same pairs, since a decision's `at` is its order's created_at.

Most of a list's cost is grouping every flagged order of the range (30 days of every company:
~200,000 orders of ~175,000 end users) by strings. So a long range of every company is read in
two steps (a shorter one or one company's is one query, by columns, as the fallback below):

1. Candidates: the rows' group hashes (a 64-bit hash of the group's columns, stored in the
   rollup, computed alike for the live rows) grouped and ranked by count: the hashes whose
   count is at least the TOP-th highest (`LIMIT TOP WITH TIES`), among those counting at least
   AT_LEAST (`HAVING`: most of a month's ~175,000 end users count one, and ranking them cost
   more than grouping them). When fewer than TOP hashes count that much, the TOP-th highest
   count is below it, so the list is read by its columns instead; otherwise the TOP-th highest
   count is at least AT_LEAST and the hashes left out by `HAVING` are below it anyway.
2. The exact groups (by their columns) of the rows whose hash is a candidate, ranked as the
   panel ranks them.

When a render reads both lists in two steps, each step is one query for both (SharedSteps: one
read of the common rows, a grouping set per list).

When no two groups of step 2 share a hash, its first TOP rows are the panel's answer: a group
left out has a hash whose count (its own and any group colliding with it) is below the TOP-th
highest candidate count, and the candidates are at least TOP groups, each with its hash's count
as its own, so at least TOP groups count strictly more than it. When two do share one (a
collision), or when step 1 finds more than MAX_CANDIDATES hashes (most groups tie: a short
range), the list is read by its columns alone, as the panel groups them.
tests/analytics/dashboards/test_suspect_panels.py compares both with the panels' SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Protocol

from analytics.clickhouse import Reads
from analytics.dashboards.decision_parts import COMPANY, SETTINGS, Parts, parts_of, union
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.risk import TOP, TOP_END_USERS, TOP_RECIPIENTS
from analytics.dashboards.rollup_panels import Splits
from analytics.rollups.definitions import END_USER_HASH, FLAGGED_SCORES, RECIPIENT_HASH, SUSPECTS, Rollup
from analytics.rollups.ranges import range_condition

_MAX = "if(max(m) < 0, NULL, round(max(m), 3))"  # the panels' max_score over the parts' maxima
MAX_CANDIDATES = 2_000  # hashes passed to step 2 as a parameter
AT_LEAST = 2  # step 1 ranks only the hashes counting at least this (1: every hash)
# Ranges of every company longer than this take the two steps, the others one query by columns:
# up to ~50,000 flagged orders (a week of every company, a month of the largest company)
# the steps' second query and their hashing cost more than they save (bench/risk_dashboard.py).
TWO_STEPS_AFTER = timedelta(days=7)
_CANDIDATES = "{candidates:Array(UInt64)}"
_COUNTS = "countIf(outcome = 'declined') AS dn, countIf(outcome = 'in_review') AS rn"
# A score joined to nothing is NULL, as the panels' SQL has it.
_SETTINGS = MappingProxyType({**SETTINGS, "join_use_nulls": 1})
# grouping() as the SQL standard has it (0: the column is in the row's grouping set), whatever
# the server's default; the other sets' columns NULL, not their type's default.
GROUPING_SETTINGS = MappingProxyType({**SETTINGS, "force_grouping_standard_compatibility": 1, "group_by_use_nulls": 0})


@dataclass(frozen=True, slots=True)
class TopList:
    """A top-suspects panel: its group's columns (the panel's first columns, its last tie-break
    in this order), the group's hash as the rollup stores it and over `flagged_orders`' columns
    (the same function of the same values), and which groups it leaves out."""

    keys: tuple[str, ...]
    stored_hash: str
    live_hash: str
    where: str = ""


END_USERS = TopList(("end_user_id", "company_id"), "end_user_hash", END_USER_HASH)
# notEmpty reads the strings' sizes only, not the strings (half the flagged orders of the bench
# data have no recipient: it is the same condition as `recipient != ''`).
RECIPIENTS = TopList(("recipient", "recipient_kind", "card"), "recipient_hash", RECIPIENT_HASH, "notEmpty(recipient)")


@dataclass(frozen=True, slots=True)
class _Parts:
    """Where a list's rows come from: `parts` (the rollup's WHERE clauses, the live ranges as
    `PREWHERE` on the orders' time, the first of flagged_orders' key), `at`: the live ranges on
    the decisions' time (the same parameters), `company`: the live rows' company condition,
    applied after FINAL (the company is not in flagged_orders' key)."""

    parts: Parts
    at: str
    company: str


def _parts(q: PanelQuery, splits: Splits) -> _Parts:
    split = splits[SUSPECTS.name]
    p = parts_of(split, q.company_id, SUSPECTS.time_column, live_company=False)
    at = range_condition(FLAGGED_SCORES.time_column, split.live, "live")[0] if split.live else "0"
    return _Parts(p, at, COMPANY if q.company_id is not None else "")


def _union(ch: Reads, src: _Parts, stored_select: str, live_select: str, live_group: str,
           join: bool, also: str = "", stored_first: str = "", injected: str | None = None) -> str:  # fmt: skip
    """The rollup's rows (`stored_select`) and the live rows grouped by `live_group`, with the
    scores joined when `join`; `also`: a further condition on both (on the list's columns);
    `stored_first`: a condition on the rollup's rows to read before their other columns;
    `injected`: a SELECT of further rows (with the rollup's select list), as they are."""
    p = src.parts
    extra = f" AND {also}" if also else ""
    pre = f"PREWHERE {stored_first} " if stored_first else ""
    rows = [f"SELECT {stored_select} FROM {ch.table(SUSPECTS.target)} {pre}WHERE {w}{extra}" for w in p.rollup]
    live = None
    if p.live is not None:
        scores = FLAGGED_SCORES.sql(ch.table(FLAGGED_SCORES.table), src.at) if join else ""
        conditions = " AND ".join(c for c in (src.company, also) if c)
        where = f" WHERE {conditions}" if conditions else ""
        live = (
            f"SELECT {live_select} FROM {ch.table(SUSPECTS.source)} FINAL {scores} {p.live}{where} "
            f"GROUP BY {live_group}"
        )
    return union(*rows, injected, live)


def edges_of(q: PanelQuery, splits: Splits) -> _Parts:
    """A range's parts without its whole days (their rollup rows read elsewhere)."""
    src = _parts(q, splits)
    return replace(src, parts=replace(src.parts, whole=None))


def whole_days_of(q: PanelQuery, splits: Splits) -> _Parts | None:
    """A range's whole days alone (None: it has none)."""
    src = _parts(q, splits)
    if src.parts.whole is None:
        return None
    return replace(src, parts=replace(src.parts, partial=None, live=None))


def candidates_sql(
    ch: Reads, q: PanelQuery, splits: Splits, top: TopList, at_least: int = AT_LEAST
) -> tuple[str, dict[str, Any]]:
    """Step 1: the group hashes whose count is at least the TOP-th highest and `at_least`."""
    src = _parts(q, splits)
    counts = _union(ch, src, f"{top.stored_hash} AS h, declined + in_review AS n",
                    f"{top.live_hash} AS h, count() AS n", "h", False, top.where)  # fmt: skip
    return (
        f"SELECT h FROM ({counts}) GROUP BY h HAVING sum(n) >= {int(at_least)} "
        f"ORDER BY sum(n) DESC LIMIT {TOP} WITH TIES",
        src.parts.params,
    )


def shared_candidates_sql(
    ch: Reads, q: PanelQuery, splits: Splits, tops: Sequence[TopList], at_least: Sequence[int]
) -> tuple[str, dict[str, Any]]:
    """Step 1 of two or more lists in one read of their common rows: one grouping set per list
    (its hash, NULL where the list leaves the row out), rows (list index, hash) with each list's
    hashes as candidates_sql finds them with its `at_least` (`rank() <= TOP` keeps the TOP-th highest count's ties,
    as `LIMIT TOP WITH TIES` does). Read with GROUPING_SETTINGS."""
    if len(tops) < 2:
        raise ValueError("one list: candidates_sql")
    src = _parts(q, splits)
    having = f"c >= [{', '.join(str(int(a)) for a in at_least)}][k + 1]"
    ranked = f"SELECT k, h, rank() OVER (PARTITION BY k ORDER BY c DESC) AS r FROM ({hash_counts_sql(ch, src, tops, having)})"
    return f"SELECT k, assumeNotNull(h) FROM ({ranked}) WHERE r <= {TOP}", src.parts.params


def hash_counts_sql(ch: Reads, src: _Parts, tops: Sequence[TopList], having: str = "") -> str:
    """Rows (list index k, hash h, count c) of each list's hashes in `src` (and `having`, on k,
    h and c). Read with GROUPING_SETTINGS."""
    names = [f"h{i}" for i in range(len(tops))]

    def hashes(of: str) -> str:
        return ", ".join(
            f"if({t.where}, {getattr(t, of)}, NULL) AS {h}" if t.where else f"toNullable({getattr(t, of)}) AS {h}"
            for t, h in zip(tops, names, strict=True)
        )  # fmt: skip

    counts = _union(ch, src, f"{hashes('stored_hash')}, declined + in_review AS n",
                    f"{hashes('live_hash')}, count() AS n", ", ".join(names), False)  # fmt: skip
    # In a list's grouping set the other lists' hashes are NULL (the default of their type).
    which = "multiIf(" + "".join(f"grouping({h}) = 0, {i}, " for i, h in enumerate(names[:-1])) + f"{len(names) - 1})"
    return (
        f"SELECT {which} AS k, coalesce({', '.join(names)}) AS h, sum(n) AS c FROM ({counts}) "
        f"GROUP BY GROUPING SETS ({', '.join(f'({h})' for h in names)}) "
        f"HAVING h IS NOT NULL{f' AND {having}' if having else ''}"
    )


def top_sql(
    ch: Reads, q: PanelQuery, splits: Splits, top: TopList, candidates: bool = False
) -> tuple[str, dict[str, Any]]:
    """The list by its groups' columns; with `candidates`, step 2: only the groups whose hash
    is in the parameter `candidates` (Array(UInt64)), all of them, with their hash last."""
    src = _parts(q, splits)
    keys = ", ".join(top.keys)
    order = f"ORDER BY declined + in_review DESC, max_score DESC, {keys}"
    outer = f"SELECT {keys}, sum(dn) AS declined, sum(rn) AS in_review, {_MAX} AS max_score"
    if not candidates:
        inner = _union(ch, src, f"{keys}, declined AS dn, in_review AS rn, max_score AS m",
                       f"{keys}, {_COUNTS}, max(d.score) AS m", keys, True, top.where)  # fmt: skip
        return f"{outer} FROM ({inner}) GROUP BY {keys} {order} LIMIT {TOP}", src.parts.params
    restrict = " AND ".join(filter(None, (top.where, f"h IN {_CANDIDATES}")))
    inner = _union(ch, src, f"{keys}, {top.stored_hash} AS h, declined AS dn, in_review AS rn, max_score AS m",
                   f"{keys}, {top.live_hash} AS h, {_COUNTS}, max(d.score) AS m", f"{keys}, h", True, restrict,
                   f"{top.stored_hash} IN {_CANDIDATES}")  # the hashes only, then the candidates' rows  # fmt: skip
    return f"{outer}, h FROM ({inner}) GROUP BY {keys}, h {order}", src.parts.params


def shared_groups_sql(
    ch: Reads, q: PanelQuery, splits: Splits, tops: Sequence[TopList], src: _Parts | None = None,
    injected: str | None = None,
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """Step 2 of two or more lists in one read of their common rows: each list's groups whose
    hash is in its parameter `c<i>` (Array(UInt64)), as top_sql(candidates=True) finds them,
    as rows (list index, its keys padded with '' to the longest list's, hash, declined,
    in_review, max_score), in each list's order. Read with GROUPING_SETTINGS. `src`: other
    parts than the range's; `injected`: further rows, a SELECT of `group_columns(tops)`, the
    lists' hashes (h<i>, NULL where the row is not the list's), dn, rn and m (as
    _union's stored_select here)."""
    src = _parts(q, splits) if src is None else src
    names = [f"h{i}" for i in range(len(tops))]
    columns = group_columns(tops)

    def hashes(of: str) -> str:
        return ", ".join(
            f"if({' AND '.join(filter(None, (t.where, f'{getattr(t, of)} IN {{c{i}:Array(UInt64)}}')))}, "
            f"{getattr(t, of)}, NULL) AS {h}"
            for i, (t, h) in enumerate(zip(tops, names, strict=True))
        )  # fmt: skip

    found = " OR ".join(f"{h} IS NOT NULL" for h in names)
    first = " OR ".join(f"{t.stored_hash} IN {{c{i}:Array(UInt64)}}" for i, t in enumerate(tops))
    inner = _union(ch, src, f"{', '.join(columns)}, {hashes('stored_hash')}, declined AS dn, in_review AS rn, max_score AS m",
                   f"{', '.join(columns)}, {hashes('live_hash')}, {_COUNTS}, max(d.score) AS m",
                   ", ".join([*columns, *names]), True, f"({found})", f"({first})", injected)  # fmt: skip
    which = "multiIf(" + "".join(f"grouping({h}) = 0, {i}, " for i, h in enumerate(names[:-1])) + f"{len(names) - 1})"
    width = max(len(t.keys) for t in tops)
    def key(t: TopList, j: int) -> str:
        return f"toString({t.keys[j]})" if j < len(t.keys) else "''"

    padded = [
        "multiIf(" + "".join(f"k = {i}, {key(t, j)}, " for i, t in enumerate(tops[:-1])) + f"{key(tops[-1], j)}) AS a{j}"
        for j in range(width)
    ]
    sets = ", ".join(f"({', '.join([*t.keys, h])})" for t, h in zip(tops, names, strict=True))
    keys = ", ".join(f"a{j}" for j in range(width))
    return (
        f"SELECT k, {keys}, h, declined, in_review, max_score FROM ("
        f"SELECT {which} AS k, {', '.join(padded)}, coalesce({', '.join(names)}) AS h, sum(dn) AS declined, "
        f"sum(rn) AS in_review, {_MAX} AS max_score FROM ({inner}) GROUP BY GROUPING SETS ({sets}) "
        f"HAVING h IS NOT NULL) ORDER BY k, declined + in_review DESC, max_score DESC, {keys}",
        src.parts.params,
    )


def group_columns(tops: Sequence[TopList]) -> list[str]:
    """The columns of every list's groups, each once, in the lists' order."""
    return list(dict.fromkeys(k for t in tops for k in t.keys))


class Steps(Protocol):
    """A render's steps of its lists, read once for all of them (SharedSteps, KeptSteps)."""

    def __contains__(self, panel: object) -> bool: ...

    async def groups(self, panel: TopPanel) -> list[tuple[Any, ...]] | None: ...


class SharedSteps:
    """Both steps of a render's lists (two steps each) in one query each (shared_candidates_sql,
    shared_groups_sql): the lists read the same rollup rows and live edges, so one read and one
    grouping of them per step instead of one per list (each list's FINAL read of the edges and
    their scores' join once, not twice). The first list to ask runs them; the others wait."""

    def __init__(self, ch: Reads, q: PanelQuery, splits: Splits, params: Mapping[str, Any],
                 panels: Sequence[TopPanel]) -> None:  # fmt: skip
        tops = [p.top for p in panels]
        self._candidates, parts_params = shared_candidates_sql(ch, q, splits, tops, [p.at_least for p in panels])
        self._groups, _ = shared_groups_sql(ch, q, splits, tops)
        self._ch, self._params, self._panels = ch, {**params, **parts_params}, tuple(panels)
        self._found: asyncio.Task[list[list[tuple[Any, ...]] | None]] | None = None

    def __contains__(self, panel: object) -> bool:
        return panel in self._panels

    async def groups(self, panel: TopPanel) -> list[tuple[Any, ...]] | None:
        """Step 2's rows of `panel` (its keys, declined, in_review, max_score, hash), or None
        when its step 1 sends it to the groups by columns."""
        if self._found is None:
            self._found = asyncio.ensure_future(self._read())
        return (await self._found)[self._panels.index(panel)]

    async def _read(self) -> list[list[tuple[Any, ...]] | None]:
        found = await self._ch.query(self._candidates, self._params, settings=GROUPING_SETTINGS)
        hashes = [[h for k, h in found if k == i] for i in range(len(self._panels))]
        going = [p.takes_step_two(hs) for p, hs in zip(self._panels, hashes, strict=True)]
        if not any(going):
            return [None] * len(self._panels)
        chosen = {f"c{i}": hs if go else [] for i, (hs, go) in enumerate(zip(hashes, going, strict=True))}
        rows = await self._ch.query(self._groups, {**self._params, **chosen}, settings=GROUPING_SETTINGS)
        return lists_of(rows, self._panels, going)


def lists_of(
    rows: Sequence[tuple[Any, ...]], panels: Sequence[TopPanel], going: Sequence[bool]
) -> list[list[tuple[Any, ...]] | None]:
    """shared_groups_sql's rows as each list's (its keys, declined, in_review, max_score, hash);
    None for the lists not `going` to step 2."""
    width = len(rows[0]) - 5 if rows else 0  # k, the padded keys, h, declined, in_review, max_score
    out: list[list[tuple[Any, ...]] | None] = []
    for i, (panel, go) in enumerate(zip(panels, going, strict=True)):
        n = len(panel.top.keys)
        out.append([(*r[1 : 1 + n], *r[2 + width : 5 + width], r[1 + width]) for r in rows if r[0] == i] if go else None)
    return out


@dataclass(frozen=True, slots=True)
class TopPanel:
    """A top-suspects panel read from the rollup (reads.ClickHousePanels)."""

    top: TopList
    rollups: tuple[Rollup, ...] = (SUSPECTS,)
    max_candidates: int = MAX_CANDIDATES
    two_steps_after: timedelta = TWO_STEPS_AFTER
    at_least: int = AT_LEAST

    def long(self, q: PanelQuery) -> bool:
        """Longer than `two_steps_after`: from there the steps pay off, and keeping the whole
        days between renders (KeptSteps) too; below, one query by columns costs less."""
        return q.time_to - q.time_from > self.two_steps_after

    def two_steps(self, q: PanelQuery) -> bool:
        return q.company_id is None and self.long(q)

    def takes_step_two(self, hashes: Sequence[int]) -> bool:
        """Whether step 1's `hashes` go to step 2. Fewer than TOP counting at_least: the list
        reaches below it, by columns. Too many: most groups tie, as well group them all by
        columns."""
        short = self.at_least > 1 and len(hashes) < TOP
        return not short and len(hashes) <= self.max_candidates

    async def rows(
        self, ch: Reads, q: PanelQuery, splits: Splits, params: Mapping[str, Any],
        shared: Steps | None = None,
    ) -> Sequence[tuple[Any, ...]]:
        """`shared`: the render's steps of every list, when it holds this one (SharedSteps holds
        the lists that take two steps, KeptSteps any range's lists)."""
        by_columns, parts_params = top_sql(ch, q, splits, self.top)
        params = {**params, **parts_params}  # the same parts in every query of the list
        found: Sequence[tuple[Any, ...]] | None = None
        if shared is not None and self in shared:
            found = await shared.groups(self)
        elif self.two_steps(q):
            sql, _ = candidates_sql(ch, q, splits, self.top, self.at_least)
            hashes = [h for (h,) in await ch.query(sql, params, settings=_SETTINGS)]
            if self.takes_step_two(hashes):
                sql, _ = top_sql(ch, q, splits, self.top, candidates=True)
                found = await ch.query(sql, {**params, "candidates": hashes}, settings=_SETTINGS)
        if found is not None and len({r[-1] for r in found}) == len(found):
            return [r[:-1] for r in found[:TOP]]
        # one query, or step 1 sent it here, or two of its groups share a hash: by columns
        return await ch.query(by_columns, params, settings=_SETTINGS)


SUSPECT_PANELS: Mapping[str, TopPanel] = MappingProxyType({
    TOP_END_USERS.id: TopPanel(END_USERS),
    TOP_RECIPIENTS.id: TopPanel(RECIPIENTS),
})  # fmt: skip
