"""GET /staff/v1/audit: the filters reach the query, pages chain by cursor, details are
objects; and once end to end over the embedded ClickHouse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import httpx

from analytics.audit_search import AuditQuery, ClickHouseAuditSearch
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rows import AUDIT_LOG_COLUMNS, audit_log_row
from api.app import create_app
from api.balance_service import BalanceService
from api.catalog_service import PartnerCatalog
from api.deps import ApiServices
from api.order_service import OrderService
from api.staff.audit_service import AuditViewer
from api.webhook_endpoint_service import WebhookEndpoints
from domain.cards import CardVault
from api.staff.tokens import SessionTokens
from domain.staff import Role, StaffUser
from tests.api.fakes import InMemoryIntake, InMemoryReader, RecordingAuditTrail, RecordingLog
from tests.api.ledger_fakes import InMemoryLedger
from tests.api.staff.audit_fakes import FakeAuditReads, audit_record
from tests.api.staff.conftest import MAX_BODY, StaffHarness
from tests.api.staff.fakes import (
    SECRET, InMemoryProducts, InMemoryRegistry, InMemoryStaff, RecordingKeyUses,
    staff_services,
)


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


URL = "/staff/v1/audit"


async def test_filters_reach_the_query_and_pages_chain_by_cursor() -> None:
    staff, reads = InMemoryStaff(), FakeAuditReads()
    finance = staff.add(Role.FINANCE)
    client = _client(staff, AuditViewer(reads))
    headers = {"Authorization": f"Bearer {_token(finance)}"}
    params = {"actor_id": "stf_finance1", "actor_kind": "staff", "action_prefix": "balance.",
              "company_id": "cmp_seeded", "target": "cmp_seeded", "from": "2026-11-26T00:00:00Z",
              "to": "2026-11-27T00:00:00+01:00", "limit": "2"}  # fmt: skip
    async with client:
        first = await client.get(URL, params=params, headers=headers)
        assert first.status_code == 200, first.text
        body = first.json()
        seqs = [e["seq"] for e in body["data"]]
        while body["next_cursor"]:
            body = (await client.get(URL, params={**params, "cursor": body["next_cursor"]}, headers=headers)).json()
            seqs += [e["seq"] for e in body["data"]]

    assert seqs == [5, 4, 3, 2, 1]
    q = reads.calls[0][0]
    assert q == AuditQuery(
        actor_id="stf_finance1", actor_kind="staff", action=None, action_prefix="balance.",
        company_id="cmp_seeded", target="cmp_seeded", at_from=datetime(2026, 11, 26, tzinfo=UTC),
        at_to=datetime(2026, 11, 26, 23, tzinfo=UTC),
    )  # fmt: skip
    assert [c[2] for c in reads.calls] == [2, 2, 2] and reads.calls[0][1] is None
    assert all(c[0] == q for c in reads.calls)  # the cursor keeps the filter the caller sends


async def test_an_event_as_shown(staff_api: StaffHarness) -> None:
    response = await staff_api.client.get(URL, headers=staff_api.bearer(Role.RISK))
    assert response.status_code == 200, response.text
    newest = response.json()["data"][0]
    assert newest == {
        "event_id": "req4:balance.top_up", "at": "2026-11-26T12:00:04Z", "actor_kind": "staff",
        "actor_id": "stf_finance1", "company_id": "cmp_seeded", "action": "balance.top_up",
        "target": "cmp_seeded", "request_id": "req4", "ip": "203.0.113.7",
        "details": {"amount": 1004, "currency": "EUR"}, "chain": 0, "seq": 5,
    }  # fmt: skip
    assert response.json()["next_cursor"] is None
    assert staff_api.audit.events == []  # reading the log is not itself an event


async def test_no_company_reads_as_null() -> None:
    staff = InMemoryStaff()
    admin = staff.add(Role.ADMIN)
    reads = FakeAuditReads(records=[audit_record(0, company_id="", action="staff.login")])
    async with _client(staff, AuditViewer(reads)) as client:
        response = await client.get(URL, headers={"Authorization": f"Bearer {_token(admin)}"})
    assert response.json()["data"][0]["company_id"] is None


async def test_over_clickhouse_hostile_values_are_only_values(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    records = [audit_record(n, actor_id="x' OR 1=1 --" if n == 1 else "stf_finance1") for n in range(3)]
    await clickhouse.insert("audit_log", [audit_log_row(r) for r in records], AUDIT_LOG_COLUMNS)
    staff = InMemoryStaff()
    admin = staff.add(Role.ADMIN)
    viewer = AuditViewer(ClickHouseAuditSearch(clickhouse))
    headers = {"Authorization": f"Bearer {_token(admin)}"}
    async with _client(staff, viewer) as client:
        everything = (await client.get(URL, headers=headers)).json()
        hostile = (await client.get(URL, params={"actor_id": "x' OR 1=1 --"}, headers=headers)).json()
        nothing = await client.get(URL, params={"action": "balance.top_up' OR '1'='1"}, headers=headers)
        paged = (await client.get(URL, params={"limit": 2}, headers=headers)).json()
        rest = (await client.get(URL, params={"limit": 2, "cursor": paged["next_cursor"]}, headers=headers)).json()
        forged = await client.get(URL, params={"cursor": _forged(paged["next_cursor"])}, headers=headers)

    assert [e["request_id"] for e in everything["data"]] == ["req2", "req1", "req0"]
    assert everything["data"][0]["details"] == {"amount": 1002, "currency": "EUR"}
    assert [e["request_id"] for e in hostile["data"]] == ["req1"]
    assert nothing.status_code == 200 and nothing.json()["data"] == []
    assert [e["request_id"] for e in paged["data"] + rest["data"]] == ["req2", "req1", "req0"]
    assert forged.status_code == 400 and forged.json()["type"].endswith("/invalid-cursor")
    rows = await clickhouse.query(f"SELECT count() FROM {clickhouse.table('audit_log')}")
    assert rows[0][0] == 3


def _client(staff: InMemoryStaff, viewer: AuditViewer) -> httpx.AsyncClient:
    """The API over fakes, with this audit-log viewer (the staff_api harness has a canned one)."""
    registry, audit, products = InMemoryRegistry(), RecordingAuditTrail(), InMemoryProducts.sandbox()
    vault, ledger, catalog = CardVault({"k1": b"k" * 32}, b"t"), InMemoryLedger(), PartnerCatalog(products, registry)
    services = ApiServices(
        OrderService(InMemoryIntake(), InMemoryReader(), vault, 1.0, 10.0, catalog), registry, audit, registry,
        RecordingKeyUses(), staff_services(staff, registry, audit, products=products, audit_log=viewer),
        BalanceService(ledger, ledger, audit), catalog, WebhookEndpoints(registry, registry, vault, audit),
    )  # fmt: skip
    transport = httpx.ASGITransport(app=create_app(services, RecordingLog(), MAX_BODY), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _token(user: StaffUser) -> str:
    return SessionTokens(SECRET, timedelta(hours=1)).issue(user, datetime.now(UTC)).token


def _forged(cursor: str) -> str:
    return cursor[:-2] + ("BB" if cursor.endswith("AA") else "AA")
