"""Fakes of the batch ports: one in-memory store the reads see at once, whose orders are the
in-memory intake's (so a batch's progress is what intake admitted), and an intake that dies
half way through a batch (a crashed API node)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.batches import REJECTED_LINE, BatchHeader, BatchLine, OrderTally, RejectedLine
from domain.orders import Order, OrderRequest
from streams.messages import IntakeReply
from tests.api.fakes import InMemoryIntake


@dataclass
class InMemoryBatches:
    intake: InMemoryIntake
    stored: dict[str, BatchHeader] = field(default_factory=dict)
    header_writes: list[BatchHeader] = field(default_factory=list)
    rejected: dict[tuple[str, int], RejectedLine] = field(default_factory=dict)
    visible: bool = True  # False: reads find no header (the sink has not stored it yet)

    async def save_header(self, header: BatchHeader) -> None:
        self.header_writes.append(header)
        known = self.stored.get(header.id)
        if known is None or header.version >= known.version:
            self.stored[header.id] = header

    async def save_rejected(self, lines: list[RejectedLine]) -> None:
        for line in lines:
            self.rejected[(line.batch_id, line.line)] = line

    @property
    def written(self) -> bool:
        return bool(self.header_writes or self.rejected)

    async def header(self, company_id: str | None, batch_id: str) -> BatchHeader | None:
        header = self.stored.get(batch_id) if self.visible else None
        return header if header is not None and company_id in (None, header.company_id) else None

    async def headers(
        self, company_id: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[BatchHeader]:
        found = sorted(
            (h for h in self.stored.values() if company_id in (None, h.company_id)),
            key=lambda h: (h.created_at, h.id), reverse=True,
        )  # fmt: skip
        if after is not None:
            found = [h for h in found if (h.created_at, h.id) < after]
        return found[:limit]

    def _orders(self, company_id: str, batch_id: str) -> list[Order]:
        return sorted(
            (o for o in self.intake.orders.values()
             if o.batch is not None and o.batch.batch_id == batch_id and o.company_id == company_id),
            key=lambda o: o.batch.line if o.batch else 0,
        )  # fmt: skip

    async def tallies(self, batches: list[tuple[str, str]]) -> dict[str, list[OrderTally]]:
        return {batch_id: self._tallies(company_id, batch_id) for company_id, batch_id in batches}

    def _tallies(self, company_id: str, batch_id: str) -> list[OrderTally]:
        tallies: dict[tuple[str, str], OrderTally] = {}
        for o in self._orders(company_id, batch_id):
            k = (o.status.value, o.amount.currency)
            t = tallies.get(k) or OrderTally(k[0], k[1], 0, 0, 0, o.updated_at)
            tallies[k] = OrderTally(k[0], k[1], t.count + 1, t.amount + o.amount.value, t.fee + o.fee,
                                    max(t.last_update, o.updated_at))  # fmt: skip
        return list(tallies.values())

    async def order_lines(
        self, company_id: str, batch_id: str, first: int, last: int, status: str | None, limit: int
    ) -> list[BatchLine]:
        found = [
            BatchLine(o.batch.line, o.status.value, o.external_id, o.id, o.amount, o.history[-1].reason)
            for o in self._orders(company_id, batch_id)
            if o.batch and first <= o.batch.line <= last and status in (None, o.status.value)
        ]
        return found[:limit]

    async def rejected_lines(
        self, company_id: str, batch_id: str, first: int, last: int, limit: int
    ) -> list[BatchLine]:
        found = sorted(
            (r for (b, n), r in self.rejected.items() if b == batch_id and first <= n <= last and r.company_id == company_id),
            key=lambda r: r.line,
        )  # fmt: skip
        return [BatchLine(r.line, REJECTED_LINE, r.external_id, errors=r.errors) for r in found[:limit]]


class IntakeDown(RuntimeError):
    pass


@dataclass
class DyingIntake(InMemoryIntake):
    """Takes `survive` requests, then fails every publish (Kafka gone, the node dying)."""

    survive: int = 0

    async def submit(self, request: OrderRequest, timeout: float) -> IntakeReply | None:
        if self.survive <= 0:
            raise IntakeDown("broker unreachable")
        self.survive -= 1
        return await super().submit(request, timeout)
