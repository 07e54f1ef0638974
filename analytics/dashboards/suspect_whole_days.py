"""The top-suspects lists' two steps (suspect_panels.py) with their whole days kept in the
process between renders: a live dashboard re-reads the same ~28 whole days every refresh, and
grouping their rows was half of a 30-day render's CPU (every company's ~200,000) or a third (the
largest company's, by columns). Ranges longer than a week (TopPanel.long) with whole days, of
every company or of one, read so; at a week or less one query by columns costs less (the
candidates of a week are too many: every hash counting 2 ties at the 20th).

Why it is exact: a whole day is read as the rollup's rows of one computation, (day,
computed_from), and those rows never change: a recompute writes a new computed_from, and the
day's rows are read from it once rollup_days names it (analytics/rollups/refresh.py). So what
the whole days held is keyed by the (day, computed_from) pairs of the range's whole days, and
a day that turns dirty or is recomputed changes the key.

Per list and key, the process keeps
- the hashes whose count over the whole days is at least KEPT_AT_LEAST, with their counts
  (~22,000 of ~175,000 end users in 30 days of the bench data); every other hash counts at most
  KEPT_AT_LEAST - 1 there;
- the whole days' groups (keys, declined, in_review, highest score) of each hash that was
  ever a candidate, read when it first is.

A render then reads only the edges (partial days' hours, dirty days, the live hours):
1. Candidates: each hash's count is known exactly when kept, and otherwise lies between its
   edge count and that plus KEPT_AT_LEAST - 1. With T the TOP-th highest of the known-at-least
   counts, the candidates are the hashes that may reach T. A hash left out counts below T, and
   at least TOP hashes count T or more, so it is not among the list's TOP (ties included).
   When T < KEPT_AT_LEAST a hash seen nowhere could reach it: the list is read by its columns.
2. Groups: the candidates' groups over the edges, read with their kept whole-day groups passed
   in as rows, summed and ranked in one query as shared_groups_sql does for the rollup's rows.
tests/analytics/dashboards/test_suspect_whole_days.py compares it with the panels' SQL.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.clickhouse import Reads
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.risk import TOP
from analytics.dashboards.rollup_panels import Splits
from analytics.dashboards.suspect_panels import (
    GROUPING_SETTINGS, TopList, TopPanel, edges_of, group_columns, hash_counts_sql, lists_of, shared_groups_sql,
    whole_days_of,
)  # fmt: skip
from analytics.rollups.definitions import SUSPECTS

KEPT_AT_LEAST = 2
KEYS_KEPT = 12  # (list, whole days) kept: six ranges' two lists; the least recently used goes first


@dataclass(slots=True)
class _Kept:
    """One list's whole days of one key."""

    counts: dict[int, int]
    groups: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # hash: (keys…, dn, rn, m)


class WholeDays:
    """What the whole days held, per (list, key); one per process (reads.ClickHousePanels)."""

    def __init__(self, keys_kept: int = KEYS_KEPT) -> None:
        self._kept: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()
        self._keys_kept = keys_kept

    def get(self, key: tuple[Any, ...]) -> _Kept | None:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def put(self, key: tuple[Any, ...], kept: _Kept) -> None:
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self._keys_kept:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


def candidates(kept: Mapping[int, int], edges: Mapping[int, int], kept_at_least: int = KEPT_AT_LEAST) -> list[int] | None:
    """Step 1 from the kept counts and the edges' (see the module's docstring); None: by columns."""
    known = dict(kept)
    for h, c in edges.items():
        known[h] = known.get(h, 0) + c
    if len(known) < TOP:
        return None
    threshold = heapq.nlargest(TOP, known.values())[-1]
    if threshold < kept_at_least:
        return None
    unknown = kept_at_least - 1  # the most a hash not kept may count in the whole days
    return sorted(h for h, c in known.items() if c + (0 if h in kept else unknown) >= threshold)


def _whole_condition(top: TopList, whole: str) -> str:
    """The whole days' rows of the list (its own condition too)."""
    return f"{whole} AND {top.where}" if top.where else whole


def _whole_counts_sql(ch: Reads, top: TopList, whole: str) -> str:
    return (
        f"SELECT {top.stored_hash} AS h, sum(declined + in_review) AS c FROM {ch.table(SUSPECTS.target)} "
        f"WHERE {_whole_condition(top, whole)} GROUP BY h HAVING c >= {int(KEPT_AT_LEAST)}"
    )


def _whole_groups_sql(ch: Reads, top: TopList, whole: str) -> str:
    """The whole days' groups of the hashes in {candidates:Array(UInt64)}: keys, hash, declined,
    in_review, the highest score (as stored: the panels round it once all parts are in)."""
    keys = ", ".join(top.keys)
    return (
        f"SELECT {keys}, {top.stored_hash} AS h, sum(declined), sum(in_review), max(max_score) "
        f"FROM {ch.table(SUSPECTS.target)} PREWHERE {top.stored_hash} IN {{candidates:Array(UInt64)}} "
        f"WHERE {_whole_condition(top, whole)} GROUP BY {keys}, h"
    )


def _injected(tops: Sequence[TopList]) -> str:
    """The kept groups as rows for shared_groups_sql, from {kept_rows:Array(Tuple(…))}: list
    index, every list's key columns ('' where not the list's), hash, declined, in_review, score."""
    columns = group_columns(tops)
    n = len(columns)
    kind = f"Array(Tuple(UInt8, {', '.join(['String'] * n)}, UInt64, UInt64, UInt64, Nullable(Float64)))"
    keys = ", ".join(f"t.{2 + j} AS {c}" for j, c in enumerate(columns))
    hashes = ", ".join(f"if(t.1 = {i}, t.{2 + n}, NULL) AS h{i}" for i in range(len(tops)))
    return (
        f"SELECT {keys}, {hashes}, t.{3 + n} AS dn, t.{4 + n} AS rn, t.{5 + n} AS m "
        f"FROM (SELECT arrayJoin(CAST({{kept_rows:{kind}}}, '{kind}')) AS t)"
    )


class KeptSteps:
    """SharedSteps' interface (reads.ClickHousePanels), the whole days from `whole`."""

    def __init__(self, ch: Reads, q: PanelQuery, splits: Splits, params: Mapping[str, Any],
                 panels: Sequence[TopPanel], whole: WholeDays) -> None:  # fmt: skip
        whole_src = whole_days_of(q, splits)
        if whole_src is None or len(panels) < 2:
            raise ValueError("KeptSteps: two lists and a range with whole days (KeptSteps.applies)")
        self._ch, self._q, self._splits, self._whole = ch, q, splits, whole
        self._panels = tuple(panels)
        self._edges = edges_of(q, splits)
        self._whole_where = whole_src.parts.whole or ""
        self._params = {**params, **whole_src.parts.params}
        days = tuple(tuple(d) for d in whole_src.parts.params["whole_days"])
        self._day_key = (ch.database, q.company_id, days)
        self._found: asyncio.Task[list[list[tuple[Any, ...]] | None]] | None = None

    @staticmethod
    def applies(q: PanelQuery, splits: Splits) -> bool:
        return whole_days_of(q, splits) is not None

    def __contains__(self, panel: object) -> bool:
        return panel in self._panels

    async def groups(self, panel: TopPanel) -> list[tuple[Any, ...]] | None:
        if self._found is None:
            self._found = asyncio.ensure_future(self._read())
        return (await self._found)[self._panels.index(panel)]

    async def _kept(self, top: TopList) -> _Kept:
        key = (*self._day_key, top, KEPT_AT_LEAST)
        kept = self._whole.get(key)
        if kept is None:
            rows = await self._ch.query(_whole_counts_sql(self._ch, top, self._whole_where), self._params,
                                        settings=GROUPING_SETTINGS)  # fmt: skip
            kept = _Kept({h: c for h, c in rows})
            self._whole.put(key, kept)
        return kept

    async def _read(self) -> list[list[tuple[Any, ...]] | None]:
        tops = [p.top for p in self._panels]
        kept = await asyncio.gather(*(self._kept(t) for t in tops))
        if all(len(k.counts) < TOP for k in kept):
            # Likely short of TOP hashes counting KEPT_AT_LEAST (one company's quiet month):
            # by columns, without reading the edges first (which could only rarely help).
            return [None] * len(self._panels)
        edges: list[dict[int, int]] = [{} for _ in tops]
        if self._edges.parts.partial is not None or self._edges.parts.live is not None:
            rows = await self._ch.query(hash_counts_sql(self._ch, self._edges, tops), self._params,
                                        settings=GROUPING_SETTINGS)  # fmt: skip
            for k, h, c in rows:
                edges[k][h] = c
        chosen = [candidates(k.counts, e) for k, e in zip(kept, edges, strict=True)]
        going = [c is not None and p.takes_step_two(c) for p, c in zip(self._panels, chosen, strict=True)]
        if not any(going):
            return [None] * len(self._panels)
        hashes = [c if go and c is not None else [] for c, go in zip(chosen, going, strict=True)]
        await asyncio.gather(*(self._whole_groups(t, k, hs) for t, k, hs in zip(tops, kept, hashes, strict=True)))
        sql, _ = shared_groups_sql(self._ch, self._q, self._splits, tops, self._edges, _injected(tops))
        columns = group_columns(tops)
        kept_rows = [
            (i, *[row[t.keys.index(c)] if c in t.keys else "" for c in columns], h, *row[len(t.keys):])
            for i, (t, k, hs) in enumerate(zip(tops, kept, hashes, strict=True)) for h in hs for row in k.groups[h]
        ]  # fmt: skip
        chosen_params = {f"c{i}": hs for i, hs in enumerate(hashes)}
        rows = await self._ch.query(sql, {**self._params, **chosen_params, "kept_rows": kept_rows},
                                    settings=GROUPING_SETTINGS)  # fmt: skip
        return lists_of(rows, self._panels, going)

    async def _whole_groups(self, top: TopList, kept: _Kept, hashes: Sequence[int]) -> None:
        """Reads the whole days' groups of the `hashes` not kept yet, and keeps them."""
        missing = [h for h in hashes if h not in kept.groups]
        if not missing:
            return
        rows = await self._ch.query(_whole_groups_sql(self._ch, top, self._whole_where),
                                    {**self._params, "candidates": missing}, settings=GROUPING_SETTINGS)  # fmt: skip
        found: dict[int, list[tuple[Any, ...]]] = {h: [] for h in missing}
        n = len(top.keys)
        for row in rows:
            found[row[n]].append((*row[:n], *row[n + 1:]))
        kept.groups.update(found)
