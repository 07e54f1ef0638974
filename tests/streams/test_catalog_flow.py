"""The catalog through the real broker: a product saved by staff on one API node reaches every
product directory, and a company catalog set through the registry agent reaches the company
record on every node, and so what partners may order there."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest

from domain.catalog import CompanyProduct
from domain.staff import CreateStaffUser, Role
from quadra.cli_admin import create_staff_user
from quadra.settings import Settings
from quadra.staff_roles import registry_agents
from streams.admin import ensure_topics
from streams.product_directory import ProductDirectory
from streams.topics import CATALOG_PRODUCTS, TopicNames
from streams.worker import WorkerConfig, build_worker_app
from tests.api.staff.fakes import FAST_PASSWORDS, PASSWORD
from tests.streams.test_registry_flow import Node, _node

pytestmark = pytest.mark.kafka
PARTITIONS = 3
ROOT = "catalog-root@quadra.test"
PRODUCT = {"version": 0, "type": "gift_certificate", "brand": "Otto", "currency": "EUR",
           "denominations": [1000, 2500], "provider_code": "otto"}  # fmt: skip
COMPANY = {"name": "Cat Co", "legal_name": "Cat Co Ltd", "country": "DE", "contact_email": "ops@cat.test"}


async def _within(seconds: float, check: Callable[[], Awaitable[bool] | bool]) -> None:
    started = time.monotonic()
    while True:
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return
        assert time.monotonic() - started < seconds, f"not within {seconds}s"
        await asyncio.sleep(0.02)


@pytest.fixture
async def nodes(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Settings, Node, Node]]:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = Settings(_env_file=None, topic_prefix=prefix, kafka_partitions=PARTITIONS,  # type: ignore[call-arg]
                        staff_command_timeout_s=20)  # fmt: skip
    await ensure_topics(kafka_bootstrap, TopicNames(prefix), PARTITIONS, 1)
    worker = build_worker_app(
        WorkerConfig(f"{prefix}worker", kafka_bootstrap, PARTITIONS, 1, TopicNames(prefix),
                     tmp_path_factory.mktemp("worker")),  # fmt: skip
        registry_agents(settings),
    )
    await worker.start()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(worker.stop)
        a = await _node(settings, kafka_bootstrap, stack)
        b = await _node(settings, kafka_bootstrap, stack)
        command = CreateStaffUser(
            f"cli-{secrets.token_hex(6)}", f"stf_{secrets.token_hex(6)}", ROOT, "Root", Role.ADMIN,
            FAST_PASSWORDS.hash(PASSWORD), datetime.now(UTC),
        )  # fmt: skip
        await create_staff_user(kafka_bootstrap, settings, command, timeout=30)
        login = await a.client.post("/staff/v1/login", json={"email": ROOT, "password": PASSWORD})
        assert login.status_code == 200, login.text
        a.staff_headers = b.staff_headers = {"Authorization": f"Bearer {login.json()['token']}"}
        yield settings, a, b


async def test_products_and_company_catalogs_reach_every_node(
    nodes: tuple[Settings, Node, Node], kafka_bootstrap: str
) -> None:
    settings, a, b = nodes
    created = await a.staff("PUT", "/catalog/products/otto-flow", PRODUCT)
    assert created.status_code == 201, created.text
    assert (await a.staff("GET", "/catalog/products/otto-flow")).status_code == 200  # read-your-writes

    async def b_has_product() -> bool:
        return (await b.staff("GET", "/catalog/products/otto-flow")).status_code == 200

    await _within(5, b_has_product)
    stale = await b.staff("PUT", "/catalog/products/otto-flow", {**PRODUCT, "brand": "Otto DE"})  # version 0
    assert stale.status_code == 409, stale.text

    # A process starting later reads it from the compacted topic.
    fresh = ProductDirectory(kafka_bootstrap, TopicNames(settings.topic_prefix)(CATALOG_PRODUCTS))
    await fresh.start()
    try:
        found = fresh.get("otto-flow")
        assert found is not None and found.denominations == (1000, 2500) and found.provider_code == "otto"
        edited = await b.staff("PUT", "/catalog/products/otto-flow", {**PRODUCT, "version": 1, "available": False})
        assert edited.status_code == 200 and edited.json()["version"] == 2
        await _within(5, lambda: (p := fresh.get("otto-flow")) is not None and not p.available)
    finally:
        await fresh.stop()
    assert (await a.staff("PUT", "/catalog/products/otto-flow", {**PRODUCT, "version": 2})).status_code == 200

    company = await a.staff("POST", "/companies", COMPANY)
    cid = company.json()["id"]
    choices = {"products": [{"product_id": "otto-flow"}]}
    assert (await a.staff("PUT", f"/companies/{cid}/catalog", choices)).status_code == 200
    assert (await a.staff("PUT", f"/companies/{cid}/catalog", {"products": [{"product_id": "nope"}]})
            ).status_code == 422  # fmt: skip

    def b_knows_the_catalog() -> bool:
        record = b.registry.companies.get(cid)
        return record is not None and record.catalog == (CompanyProduct("otto-flow"),)

    await _within(5, b_knows_the_catalog)
    key = (await a.staff("POST", f"/companies/{cid}/api-keys", {"mode": "test"})).json()["key"]
    partner = {"Authorization": f"Bearer {key}"}

    async def b_offers_it() -> bool:
        response = await b.client.get("/v1/catalog", headers=partner)
        return response.status_code == 200 and [p["id"] for p in response.json()["data"]] == ["otto-flow"]

    await _within(5, b_offers_it)
    assert {e.action for e in a.audit.events} >= {"product.create", "product.update", "company.catalog"}
