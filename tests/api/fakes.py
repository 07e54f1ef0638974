"""Fakes of the API's ports: an in-memory intake that runs the real admission rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from analytics.reports.filters import TransactionFilter
from analytics.reports.transactions import TransactionKey
from detectors.policy import approve_all
from domain.audit import AuditEvent
from domain.companies import ApiKey, Company, CompanyProfile, CompanyStatus, api_key_record
from domain.intake import Decide, IntakeEntry, admit, idempotency_scope
from domain.orders import Order, OrderRequest, OrderStatus
from streams.messages import IntakeReply, RequestLogRecord
from tests.builders import T0

TEST_KEY = "qk_test_" + "A" * 43
OTHER_KEY = "qk_test_" + "B" * 43
REVOKED_KEY = "qk_test_" + "C" * 43
LIVE_KEY = "qk_live_" + "L" * 43  # cmp_a's live key


@dataclass
class InMemoryIntake:
    entries: dict[str, IntakeEntry] = field(default_factory=dict)
    submitted: list[OrderRequest] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    answering: bool = True
    decide: Decide = approve_all
    in_transit: dict[str, Order] = field(default_factory=dict)
    catch_ups: int = 0

    async def submit(self, request: OrderRequest, timeout: float) -> IntakeReply | None:
        self.submitted.append(request)
        if not self.answering:
            return None
        scope = idempotency_scope(request.company_id, request.idempotency_key)
        result = admit(request, self.entries.get(scope), self.decide)
        if result.entry is not None:
            self.entries[scope] = result.entry
        if result.order is not None:
            self.orders.setdefault(result.order.id, result.order)
        return IntakeReply(request.request_id, result.admission, result.order)

    async def wait_for_status(
        self, order: Order, statuses: frozenset[OrderStatus], timeout: float
    ) -> Order:
        return self.orders.get(order.id, order)

    def recent(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    async def caught_up(self, timeout: float) -> bool:
        """Orders another API process answered for (`in_transit`) arrive on this one's feed."""
        self.catch_ups += 1
        self.orders.update(self.in_transit)
        self.in_transit.clear()
        return True


@dataclass
class InMemoryReader:
    orders: dict[str, Order] = field(default_factory=dict)

    async def find(self, company_id: str, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return order if order is not None and order.company_id == company_id else None

    async def page(
        self, f: TransactionFilter, after: TransactionKey | None, limit: int
    ) -> tuple[list[Order], TransactionKey | None]:
        """The list query over the dict: newest first, keyset by (created_at, id)."""
        found = sorted(
            (o for o in self.orders.values() if _matches(o, f)), key=lambda o: (o.created_at, o.id), reverse=True
        )
        if after is not None:
            found = [o for o in found if (o.created_at, o.id) < (after.value, after.order_id)]
        page = found[:limit]
        more = len(found) > limit
        return page, (TransactionKey(page[-1].created_at, page[-1].id) if more else None)


def _matches(o: Order, f: TransactionFilter) -> bool:
    """The subset of TransactionFilter the partner list uses."""
    return (
        (not f.company_ids or o.company_id in f.company_ids)
        and (not f.statuses or o.status.value in f.statuses)
        and (not f.product_ids or o.product_id in f.product_ids)
        and (f.created_from is None or o.created_at >= f.created_from)
        and (f.created_to is None or o.created_at < f.created_to)
        and (f.external_id is None or o.external_id == f.external_id)
        and (f.end_user_id is None or o.end_user.id == f.end_user_id)
    )


class StaticKeys:
    def __init__(self) -> None:
        revoked = api_key_record(REVOKED_KEY, "cmp_a", "A")
        self._keys = {
            k.key_hash: k
            for k in (
                api_key_record(TEST_KEY, "cmp_a", "A"),
                api_key_record(OTHER_KEY, "cmp_b", "B"),
                api_key_record(LIVE_KEY, "cmp_a", "A"),
                ApiKey(revoked.key_hash, revoked.key_prefix, "cmp_a", "A", revoked.mode, True),
            )
        }

    def lookup(self, key_hash: str) -> ApiKey | None:
        key = self._keys.get(key_hash)
        return None if key is None or key.revoked else key


class StaticCompanies:
    """The companies of StaticKeys' keys, both active and open to any address."""

    def __init__(self) -> None:
        profile = CompanyProfile("A", "A GmbH", "DE", "ops@a.test", "ops@a.test")
        self.companies = {
            cid: Company(cid, profile, CompanyStatus.ACTIVE, T0, T0) for cid in ("cmp_a", "cmp_b")
        }

    def get(self, company_id: str) -> Company | None:
        return self.companies.get(company_id)


@dataclass
class RecordingLog:
    records: list[RequestLogRecord] = field(default_factory=list)

    async def publish(self, record: RequestLogRecord) -> None:
        self.records.append(record)


@dataclass
class RecordingAuditTrail:
    events: list[AuditEvent] = field(default_factory=list)
    refusal: Exception | None = None  # raised instead of recording, while set

    async def record(self, event: AuditEvent) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.events.append(event)
