"""The audit log read back from ClickHouse, in (chain, seq) order, for `quadra audit verify`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.rows import AUDIT_LOG_COLUMNS
from domain.audit import ActorKind, AuditEvent
from domain.audit_chain import AuditRecord

_SELECT = ", ".join(AUDIT_LOG_COLUMNS)


class ClickHouseAuditLog:
    def __init__(self, clickhouse: ClickHouse, page_size: int = 10_000) -> None:
        self._ch = clickhouse
        self._page = page_size

    def chains_sync(self) -> list[tuple[int, int]]:
        """(chain, highest seq) for every chain; blocking."""
        table = self._ch.table("audit_log")
        rows = self._ch.query_sync(
            f"SELECT chain, max(seq) FROM {table} GROUP BY chain ORDER BY chain"
        )
        return [(int(c), int(s)) for c, s in rows]

    def records_sync(self) -> Iterator[AuditRecord]:
        """Every record, ordered by (chain, seq), a page of seqs at a time; blocking.

        Pages are seq ranges, not row counts: every copy of one seq lands in the same page,
        so if two different rows claim one position (FINAL may keep both when they sit in
        different month partitions, depending on version and settings) the verifier sees both.
        """
        table = self._ch.table("audit_log")
        for chain, top in self.chains_sync():
            low = 0
            while low < top:
                high = low + self._page
                rows = self._ch.query_sync(
                    f"SELECT {_SELECT} FROM {table} FINAL "
                    "WHERE chain = {chain:UInt32} AND seq > {low:UInt64} AND seq <= {high:UInt64} "
                    "ORDER BY seq",
                    {"chain": chain, "low": low, "high": high},
                )
                yield from (record_from_row(row) for row in rows)
                low = high


def record_from_row(row: tuple[Any, ...]) -> AuditRecord:
    (chain, seq, hash_, prev_hash, event_id, at, actor_kind, actor_id, company_id, action,
     target, request_id, ip, details) = row  # fmt: skip
    if isinstance(at, datetime) and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # the column is UTC; some client versions drop the zone
    try:
        kind = ActorKind(actor_kind)
        parsed = json.loads(details)
        if not isinstance(parsed, dict):
            raise ValueError("details is not an object")
    except ValueError as exc:
        # A row edited into something unreadable still has to be reported, not crash the
        # check: a stand-in event cannot match the stored hash, so verify names this seq.
        kind, parsed = ActorKind.SYSTEM, {"unreadable_row": str(exc), "actor_kind": actor_kind}
    event = AuditEvent(
        event_id=event_id, at=at, actor_kind=kind, actor_id=actor_id, company_id=company_id,
        action=action, target=target, request_id=request_id, ip=ip, details=parsed,
    )  # fmt: skip
    return AuditRecord(int(chain), int(seq), prev_hash, hash_, event)
