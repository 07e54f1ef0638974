"""A fake of the audit-log read: canned records, newest first, paged by key; every call
recorded. Filtering itself is tested against ClickHouse (tests/analytics/test_audit_search.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.audit_search import AuditKey, AuditQuery
from domain.audit import ActorKind, AuditEvent
from domain.audit_chain import GENESIS_HASH, AuditRecord, chain

T0 = datetime.fromisoformat("2026-11-26T12:00:00+00:00")


def audit_record(n: int, **changes: object) -> AuditRecord:
    values: dict[str, object] = dict(
        event_id=f"req{n}:balance.top_up", at=T0 + timedelta(seconds=n), actor_kind=ActorKind.STAFF,
        actor_id="stf_finance1", company_id="cmp_seeded", action="balance.top_up", target="cmp_seeded",
        request_id=f"req{n}", ip="203.0.113.7", details={"amount": 1000 + n, "currency": "EUR"},
    )  # fmt: skip
    values.update(changes)
    return chain(GENESIS_HASH, n + 1, AuditEvent(**values), chain_id=0)  # type: ignore[arg-type]


@dataclass
class FakeAuditReads:
    calls: list[tuple[AuditQuery, AuditKey | None, int]] = field(default_factory=list)
    records: list[AuditRecord] = field(
        default_factory=lambda: [audit_record(n) for n in range(4, -1, -1)]  # newest first
    )

    async def search(
        self, q: AuditQuery, after: AuditKey | None, limit: int
    ) -> tuple[list[AuditRecord], AuditKey | None]:
        self.calls.append((q, after, limit))
        start = 0 if after is None else next(
            i + 1 for i, r in enumerate(self.records) if AuditKey.of(r) == after
        )
        items = self.records[start : start + limit]
        more = start + limit < len(self.records)
        return items, (AuditKey.of(items[-1]) if more else None)
