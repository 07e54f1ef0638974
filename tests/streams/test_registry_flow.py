"""Companies, keys and staff accounts through the real broker: the registry and staff agents
in a Faust worker, two API nodes with their own replicas, the admin CLI's command path."""

from __future__ import annotations

from api.balance_service import BalanceService
from tests.api.ledger_fakes import InMemoryLedger

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from api.app import create_app
from api.catalog_service import PartnerCatalog
from api.deps import ApiServices
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from domain.cards import CardVault
from domain.staff import CreateStaffUser, Role
from quadra.cli_admin import create_staff_user
from quadra.seed import publish_demo_company
from quadra.catalog_roles import start_product_directory
from quadra.settings import Settings
from quadra.staff_roles import RegistryApi, registry_agents, start_registry_api
from streams.admin import ensure_topics
from streams.feeds import KeyDirectory
from streams.topics import API_KEYS, TopicNames
from streams.worker import WorkerConfig, build_worker_app
from tests.api.fakes import InMemoryIntake, InMemoryReader, RecordingAuditTrail, RecordingLog
from tests.api.staff.fakes import FAST_PASSWORDS, PASSWORD

pytestmark = pytest.mark.kafka
PARTITIONS = 3
PROBE = "/v1/orders/ord_" + "0" * 32  # 404 once authenticated, 401/403 when refused
ROOT = "root@quadra.test"
COMPANY = {"name": "Flow Co", "legal_name": "Flow Co Ltd", "country": "NL",
           "contact_email": "ops@flow.test"}  # fmt: skip


@dataclass
class Node:
    """One API process: its own producer, replicas and app."""

    client: httpx.AsyncClient
    registry: RegistryApi
    audit: RecordingAuditTrail
    staff_headers: dict[str, str]

    async def staff(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, f"/staff/v1{path}", json=body, headers=self.staff_headers)

    async def partner_status(self, key: str) -> int:
        return (await self.client.get(PROBE, headers={"Authorization": f"Bearer {key}"})).status_code

    async def login_status(self, password: str) -> int:
        response = await self.client.post("/staff/v1/login", json={"email": ROOT, "password": password})
        return response.status_code


@dataclass
class Cluster:
    settings: Settings
    bootstrap: str
    a: Node
    b: Node


async def _node(settings: Settings, bootstrap: str, stack: AsyncExitStack) -> Node:
    names = TopicNames(settings.topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    stack.push_async_callback(producer.stop)
    keys = KeyDirectory(bootstrap, names(API_KEYS))
    await keys.start()
    stack.push_async_callback(keys.stop)
    audit = RecordingAuditTrail()
    stops: list[tuple[str, Callable[[], Any]]] = []
    products = await start_product_directory(bootstrap, names, stops)
    registry = await start_registry_api(
        settings, names, bootstrap, producer, keys, audit, stops, FAST_PASSWORDS, products=products
    )
    for _, stop in stops:
        stack.push_async_callback(stop)
    vault = CardVault({"k1": b"k" * 32}, b"t")
    catalog = PartnerCatalog(products, registry.companies)
    orders = OrderService(InMemoryIntake(), InMemoryReader(), vault, 1, 10, catalog)
    ledger = InMemoryLedger()
    services = ApiServices(
        orders, keys, audit, registry.companies, registry.key_uses, registry.staff,
        BalanceService(ledger, ledger, audit), catalog,
        WebhookEndpoints(registry.companies, registry.registry, vault, audit),
    )
    app = create_app(services, RecordingLog(), 64 * 1024)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://test")
    await stack.enter_async_context(client)
    return Node(client, registry, audit, {})


@pytest.fixture(scope="module")
async def cluster(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    """One worker and two API nodes for the whole module: starting them is most of the cost."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, topic_prefix=prefix, kafka_partitions=PARTITIONS,
        staff_max_failed_logins=3, staff_command_timeout_s=20,
    )  # fmt: skip
    names = TopicNames(prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    state_dir = tmp_path_factory.mktemp("worker")
    worker = build_worker_app(
        WorkerConfig(f"{prefix}worker", kafka_bootstrap, PARTITIONS, 1, names, state_dir),
        registry_agents(settings),
    )
    await worker.start()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(worker.stop)
        a = await _node(settings, kafka_bootstrap, stack)
        b = await _node(settings, kafka_bootstrap, stack)
        yield Cluster(settings, kafka_bootstrap, a, b)


async def _within(seconds: float, check: Callable[[], Awaitable[bool]]) -> None:
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, f"not within {seconds}s"
        await asyncio.sleep(0.01)


def _status_is(status: Callable[[], Awaitable[int]], wanted: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await status() == wanted

    return check


async def test_company_key_revocation_and_staff_accounts_across_api_nodes(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    # The first admin comes from the CLI's command path; the worker may still be starting.
    command = CreateStaffUser(
        f"cli-{secrets.token_hex(6)}", f"stf_{secrets.token_hex(6)}", ROOT, "Root", Role.ADMIN,
        FAST_PASSWORDS.hash(PASSWORD), datetime.now(UTC),
    )  # fmt: skip
    admin = await create_staff_user(cluster.bootstrap, cluster.settings, command, timeout=30)
    assert admin.role is Role.ADMIN

    login = await a.client.post("/staff/v1/login", json={"email": ROOT, "password": PASSWORD})
    assert login.status_code == 200, login.text
    a.staff_headers = b.staff_headers = {"Authorization": f"Bearer {login.json()['token']}"}
    # The session works on the other node too, once its replica has the user.
    await _within(2, _status_is(lambda: _status(b.staff("GET", "/me")), 200))

    company = await a.staff("POST", "/companies", COMPANY)
    assert company.status_code == 201, company.text
    cid = company.json()["id"]
    assert (await a.staff("GET", f"/companies/{cid}")).status_code == 200  # read-your-writes
    created = await a.staff("POST", f"/companies/{cid}/api-keys", {"mode": "test"})
    assert created.status_code == 201, created.text
    secret, prefix = created.json()["key"], created.json()["prefix"]
    assert await a.partner_status(secret) == 404  # the node that created it knows it at once
    await _within(2, _status_is(lambda: b.partner_status(secret), 404))

    # Revocation: refused on every node within 1 s of the staff request.
    started = time.monotonic()
    assert (await a.staff("POST", f"/companies/{cid}/api-keys/{prefix}/revoke")).status_code == 200
    assert await a.partner_status(secret) == 401
    await _within(1, _status_is(lambda: b.partner_status(secret), 401))
    assert time.monotonic() - started < 1.0

    # Deactivation: the company's other key refused on every node within 1 s; then back.
    second = (await a.staff("POST", f"/companies/{cid}/api-keys", {"mode": "live"})).json()["key"]
    await _within(2, _status_is(lambda: b.partner_status(second), 404))
    started = time.monotonic()
    assert (await a.staff("POST", f"/companies/{cid}/deactivate")).status_code == 200
    await _within(1, _status_is(lambda: b.partner_status(second), 403))
    assert time.monotonic() - started < 1.0
    assert (await a.staff("POST", f"/companies/{cid}/reactivate")).status_code == 200
    await _within(2, _status_is(lambda: b.partner_status(second), 404))

    # Last use, remembered by node B, reaches node A's replica through the registry.
    await b.registry.key_uses.report_due()

    async def last_use_known() -> bool:
        keys = (await a.staff("GET", f"/companies/{cid}/api-keys")).json()["data"]
        return any(k["last_used_at"] for k in keys if not k["revoked"])

    await _within(5, last_use_known)

    # Failed sign-ins on any node count in one place, and the lock holds on every node.
    for node in (a, b, a):
        assert await node.login_status("wrong password") == 401
    await _within(2, _status_is(lambda: b.login_status(PASSWORD), 429))
    assert await a.login_status(PASSWORD) == 429
    assert {e.action for e in a.audit.events} >= {
        "staff.login", "company.create", "api_key.create", "api_key.revoke", "company.deactivate",
    }  # fmt: skip


async def test_the_demo_company_is_seeded_through_the_registry(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.a, cluster.b
    key = await publish_demo_company(a.registry.registry, tmp_path, wait_s=30)
    assert await publish_demo_company(a.registry.registry, tmp_path, wait_s=30) == key  # a restart
    assert await a.partner_status(key) == 404
    await _within(2, _status_is(lambda: b.partner_status(key), 404))
    demo = b.registry.companies.get("cmp_demo")
    assert demo is not None and demo.active


async def _status(response: Awaitable[httpx.Response]) -> int:
    return (await response).status_code


async def test_a_password_change_through_the_staff_agent_holds_on_every_node(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    email, new = f"self-{secrets.token_hex(4)}@quadra.test", "a brand new passphrase"
    command = CreateStaffUser(
        f"cli-{secrets.token_hex(6)}", f"stf_{secrets.token_hex(6)}", email, "Self", Role.READ_ONLY,
        FAST_PASSWORDS.hash(PASSWORD), datetime.now(UTC),
    )  # fmt: skip
    await create_staff_user(cluster.bootstrap, cluster.settings, command, timeout=30)
    old = (await a.client.post("/staff/v1/login", json={"email": email, "password": PASSWORD})).json()
    await _within(2, _status_is(lambda: _status(b.client.get("/staff/v1/me", headers=_bearer(old["token"]))), 200))

    changed = await a.client.post("/staff/v1/me/password", headers=_bearer(old["token"]),
                                  json={"current_password": PASSWORD, "new_password": new})  # fmt: skip
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["token"]
    # The new session works at once on the other node too, even before its replica catches up.
    assert (await b.client.get("/staff/v1/me", headers=_bearer(fresh))).status_code == 200
    await _within(2, _status_is(lambda: _status(b.client.get("/staff/v1/me", headers=_bearer(old["token"]))), 401))
    assert (await b.client.post("/staff/v1/login", json={"email": email, "password": new})).status_code == 200

    locale = await b.client.patch("/staff/v1/me", json={"locale": "ru"}, headers=_bearer(fresh))
    assert locale.status_code == 200 and locale.json()["locale"] == "ru"

    async def russian_on_a() -> bool:
        me = await a.client.get("/staff/v1/me", headers=_bearer(fresh))
        return me.status_code == 200 and me.json()["locale"] == "ru"

    await _within(2, russian_on_a)
    assert "staff.password_changed" in {e.action for e in a.audit.events}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
