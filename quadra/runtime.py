"""Wires and runs the roles of one process: api, worker, sink (all three for `quadra up`)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer

from analytics.clickhouse import ClickHouse
from analytics.read_lanes import ReadLanes
from analytics.migrate import migrate
from analytics.batches_repo import ClickHouseBatches
from analytics.orders_repo import ClickHouseOrderReader
from analytics.rollups.refresher import RefresherConfig, RollupRefresher
from api.app import create_app
from api.rate_limit import EdgeRateLimits, RateLimit
from dashboards import vendor
from dashboards.app import install_admin
from dashboards.company_audit import AuditViewerFeed
from api.deps import ApiServices
from api.catalog_service import PartnerCatalog
from api.batch_service import BatchService
from api.order_service import OrderService
from api.webhook_endpoint_service import WebhookEndpoints
from domain.cards import CardVault
from quadra.fraud_api_roles import partner_fraud_reports, with_fraud_desk
from quadra.order_detail_roles import with_order_pages
from quadra.fraud_roles import start_fraud_check, start_pattern_detector
from quadra.sink_routes import sink_routes, split_log_routes
from quadra.money_roles import start_balance_api, start_order_agents
from quadra.export_roles import with_exports
from quadra.rule_api_roles import with_fraud_rules
from quadra.notify_roles import start_notify, with_webhook_admin
from quadra.catalog_roles import start_product_directory
from quadra.seed import (
    publish_demo_catalog,
    publish_demo_company,
    publish_demo_funds,
    publish_sandbox_catalog,
)
from quadra.settings import PayoutsMode, Settings, parse_card_keys
from quadra.stopping import run_stops
from sandbox import SandboxConfig, create_sandbox_app
from quadra.staff_roles import registry_agents, start_registry_api, with_reports
from streams.admin import ensure_topics
from streams.audit_trail import KafkaAuditTrail
from streams.batch_store import KafkaBatchStore
from streams.feeds import KeyDirectory, OrderFeed
from streams.healing_producer import HealingProducer
from streams.intake_client import KafkaIntake
from streams.product_directory import KafkaProductStore, ProductDirectory
from streams.outbox import KafkaOutbox
from streams.request_log import KafkaRequestLog
from streams.spool import SpoolFile
from streams.sink import Sink, SinkConfig
from streams.topics import API_KEYS, BALANCE_COMMANDS, INTAKE_REPLIES, ORDERS_EVENTS, ORDERS_REQUESTED, REQUESTS_LOG, TopicNames
from streams.topics import AUDIT_EVENTS, BATCH_LINES, BATCHES, CATALOG_PRODUCTS
from streams.worker import WorkerConfig, build_worker_app

log = logging.getLogger("quadra")


class Role(str, enum.Enum):
    API = "api"
    WORKER = "worker"
    SINK = "sink"


class RoleLayoutError(RuntimeError):
    pass


def check_role_layout(settings: Settings, roles: frozenset[Role]) -> None:
    """The embedded ClickHouse path belongs to one process: it must serve reads and write."""
    touches_clickhouse = roles & {Role.API, Role.SINK}
    if settings.clickhouse_embedded and touches_clickhouse and not {Role.API, Role.SINK} <= roles:
        raise RoleLayoutError(
            "the embedded ClickHouse (chdb) can be opened by one process only, and that process "
            "must run both the API and the sink: use `quadra up`, or point "
            "QUADRA_CLICKHOUSE_DSN at a ClickHouse server to run `quadra api` and `quadra sink` apart"
        )


@dataclass
class Started:
    """What this process started, in start order; stopped in reverse."""

    bootstrap: str
    api_url: str | None = None
    demo_key: str | None = None
    audit: KafkaAuditTrail | None = None  # for staff actions, when this process runs the API
    stops: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)


class _EmbeddedServer(uvicorn.Server):
    # Signals are this process's business, not uvicorn's (it would re-raise them on exit).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def start_roles(
    settings: Settings, roles: frozenset[Role], bootstrap: str, seed_demo: bool
) -> Started:
    check_role_layout(settings, roles)
    started = Started(bootstrap)
    try:
        await _start_roles(settings, roles, seed_demo, started)
    except BaseException:
        await stop_roles(started)  # a half-started process must not linger
        raise
    return started


async def _start_roles(
    settings: Settings, roles: frozenset[Role], seed_demo: bool, started: Started
) -> None:
    names = TopicNames(settings.topic_prefix)
    bootstrap = started.bootstrap
    await ensure_topics(bootstrap, names, settings.kafka_partitions, settings.kafka_replication)

    clickhouse: ClickHouse | None = None
    if roles & {Role.API, Role.SINK}:
        clickhouse = await asyncio.to_thread(
            ClickHouse.connect, settings.clickhouse_url, settings.clickhouse_database
        )
        applied = await asyncio.to_thread(migrate, clickhouse)
        if applied:
            log.info("applied migrations: %s", ", ".join(f"{m.version:04d}_{m.name}" for m in applied))
        started.stops.append(("clickhouse", clickhouse.close))

    if Role.SINK in roles:
        assert clickhouse is not None
        main_routes, log_routes = split_log_routes(sink_routes(names), names)
        for group, interval, routes in (
            ("quadra-sink", settings.sink_flush_interval_s, main_routes),
            ("quadra-sink-logs", settings.sink_log_flush_interval_s, log_routes),
        ):
            config = SinkConfig(bootstrap, f"{settings.topic_prefix}{group}", settings.sink_batch_rows, interval,
                                json_min_messages=settings.sink_json_min_messages)  # fmt: skip
            await _start_sink(Sink(config, clickhouse, routes), group, started)
        _start_refresher(settings, clickhouse, started)
        started.stops.append(("pattern detectors", await start_pattern_detector(settings, names, bootstrap, clickhouse)))

    if serves_sandbox(settings, roles):
        # One process runs everything (`quadra up`): the provider sandbox too.
        port = await _serve_sandbox(settings, started)
        settings = settings.model_copy(update={"providers_url": f"http://127.0.0.1:{port}"})

    products: ProductDirectory | None = None
    if roles & {Role.API, Role.WORKER}:  # caught up before dispatch or the API reads it
        products = await start_product_directory(bootstrap, names, started.stops)

    if Role.WORKER in roles:
        assert products is not None
        worker = build_worker_app(
            WorkerConfig(
                app_id=f"{settings.topic_prefix}quadra-worker",
                bootstrap=bootstrap,
                partitions=settings.kafka_partitions,
                replication=settings.kafka_replication,
                topics=names,
                state_dir=settings.data_dir / "worker-state",
            ),
            registry_agents(settings),
        )
        await worker.start()
        started.stops.append(("worker", worker.stop))
        check, stop_check = await start_fraud_check(settings, names, bootstrap)
        started.stops.append(("fraud judges", stop_check))
        started.stops.extend(start_order_agents(settings, names, bootstrap, check, products))
        started.stops.append(await start_notify(settings, names, bootstrap))

    if Role.API in roles:
        assert clickhouse is not None and products is not None
        await _start_api(settings, names, bootstrap, clickhouse, products, seed_demo, started)


async def _start_sink(sink: Sink, name: str, started: Started) -> None:
    await sink.start()
    task = asyncio.create_task(sink.run(), name=name)

    async def stop_sink() -> None:
        await sink.stop()
        await task

    started.stops.append((name, stop_sink))


def _start_refresher(settings: Settings, clickhouse: ClickHouse, started: Started) -> None:
    """The daily rollups' refresher runs where the sink runs: the process that marks days."""
    refresher = RollupRefresher(
        clickhouse, RefresherConfig(settings.rollup_refresh_interval_s, settings.rollup_quiet_s)
    )
    task = asyncio.create_task(refresher.run(), name="rollup refresher")

    async def stop() -> None:
        # Mid-cycle is fine: rows of a computation without its rollup_days row are never read.
        await refresher.stop()
        await _cancelled(task)

    started.stops.append(("rollup refresher", stop))


def serves_sandbox(settings: Settings, roles: frozenset[Role]) -> bool:
    """Whether this process serves the provider sandbox and dispatches to it."""
    return roles == frozenset(Role) and settings.payouts is PayoutsMode.PROVIDERS and settings.sandbox_embedded


async def _serve_sandbox(settings: Settings, started: Started) -> int:
    """Serves the provider sandbox in this process; returns its port."""
    server = _EmbeddedServer(
        uvicorn.Config(
            create_sandbox_app(SandboxConfig()), host="127.0.0.1", port=settings.sandbox_port,
            log_level="warning", lifespan="off", access_log=False,
        )  # fmt: skip
    )
    task = asyncio.create_task(server.serve(), name="sandbox")
    while not server.started:
        if task.done():
            task.result()  # re-raises why it could not bind
            raise RuntimeError("the provider sandbox stopped before it started")
        await asyncio.sleep(0.02)

    async def stop() -> None:
        server.should_exit = True
        await task

    started.stops.append(("sandbox", stop))
    return int(server.servers[0].sockets[0].getsockname()[1])


async def _start_api(
    settings: Settings,
    names: TopicNames,
    bootstrap: str,
    clickhouse: ClickHouse,
    products: ProductDirectory,
    seed_demo: bool,
    started: Started,
) -> None:
    producer = HealingProducer(  # streams/healing_producer.py: aiokafka can break its sequence
        lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=1)
    )
    await producer.start()
    started.stops.append(("producer", producer.stop))
    if seed_demo:
        await publish_demo_funds(producer, names(BALANCE_COMMANDS))
        store = KafkaProductStore(producer, names(CATALOG_PRODUCTS), products)
        await publish_sandbox_catalog(products, store)

    keys = KeyDirectory(bootstrap, names(API_KEYS))
    await keys.start()
    started.stops.append(("key directory", keys.stop))
    feed = OrderFeed(
        bootstrap, names(INTAKE_REPLIES), names(ORDERS_EVENTS), settings.kafka_partitions
    )
    await feed.start()
    started.stops.append(("order feed", feed.stop))

    vault = CardVault(
        parse_card_keys(settings.card_keys.get_secret_value()),
        settings.card_token_key.get_secret_value().encode(),
    )
    outbox = KafkaOutbox(
        producer.send_and_wait,
        SpoolFile(settings.data_dir / "outbox" / settings.worker_id, settings.outbox_max_bytes),
        settings.request_log_wait_s,
    )
    replaying = asyncio.create_task(outbox.run(), name="outbox replay")
    started.stops.append(("outbox replay", lambda: _cancelled(replaying)))
    request_log = KafkaRequestLog(outbox, names(REQUESTS_LOG))
    started.audit = KafkaAuditTrail(producer, names(AUDIT_EVENTS))
    registry = await start_registry_api(
        settings, names, bootstrap, producer, keys, started.audit, started.stops, products=products
    )
    if seed_demo:  # through the registry agent, the one writer of companies and keys
        started.demo_key = await publish_demo_company(registry.registry, settings.data_dir)
        await publish_demo_catalog(registry.registry, registry.companies)
    catalog = PartnerCatalog(products, registry.companies)
    intake = KafkaIntake(producer, feed, names(ORDERS_REQUESTED))
    orders = OrderService(
        intake,
        ClickHouseOrderReader(clickhouse),
        vault,
        settings.intake_reply_timeout_s,
        settings.max_prefer_wait_s,
        catalog,
    )
    batches = BatchService(
        orders, intake, KafkaBatchStore(producer, names(BATCHES), names(BATCH_LINES)),
        ClickHouseBatches(clickhouse), vault.keyed_hash, settings.intake_reply_timeout_s,
        in_flight=settings.batch_in_flight,
    )  # fmt: skip
    balances = await start_balance_api(
        settings, names, bootstrap, registry.bus, started.audit, started.stops
    )
    webhooks = WebhookEndpoints(registry.companies, registry.registry, vault, started.audit)
    staff = with_webhook_admin(registry.staff, clickhouse, producer, names, started.audit)
    staff = await with_fraud_rules(staff, names, bootstrap, producer, clickhouse, vault, registry.companies,
                                   started.audit, started.stops)  # fmt: skip
    staff = with_exports(staff, settings, clickhouse, started.audit, started.stops)
    lanes = await asyncio.to_thread(
        ReadLanes.connect, settings.clickhouse_url, settings.clickhouse_database, settings.dashboard_read_lanes
    )
    started.stops.append(("dashboard read lanes", lanes.close))
    staff = with_reports(staff, clickhouse, lanes)
    staff = with_fraud_desk(staff, settings, names, clickhouse, producer, registry.bus, started.audit)
    staff = with_order_pages(staff, settings, clickhouse, lanes)
    staff = replace(staff, batches=batches)
    services = ApiServices(
        orders, keys, started.audit, registry.companies, registry.key_uses, staff, balances,
        catalog, webhooks, partner_fraud_reports(clickhouse), batches,
    )
    limits = EdgeRateLimits(RateLimit(settings.rate_limit_per_s, settings.rate_limit_burst),
                            RateLimit(settings.rate_limit_failed_auth_per_s, settings.rate_limit_failed_auth_burst))
    app = create_app(services, request_log, settings.max_body_bytes, limits, settings.max_batch_bytes,
                     edge_audit=KafkaAuditTrail(outbox, names(AUDIT_EVENTS)))  # fmt: skip
    feed = AuditViewerFeed(staff.audit_log) if staff.audit_log is not None else None
    install_admin(app, await vendor_files(), company_audit=feed)
    server = _EmbeddedServer(
        uvicorn.Config(
            app, host=settings.api_host, port=settings.api_port, log_level="warning",
            lifespan="off", access_log=False,
        )  # fmt: skip
    )
    serve_task = asyncio.create_task(server.serve(), name="api")
    while not server.started:
        if serve_task.done():
            serve_task.result()  # re-raises why it could not bind
            raise RuntimeError("API server stopped before it started")
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    started.api_url = f"http://{settings.api_host}:{port}"

    async def stop_api() -> None:
        server.should_exit = True
        await serve_task

    started.stops.append(("api", stop_api))


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def stop_roles(started: Started) -> list[str]:
    """Returns the roles that did not stop within the budget (quadra/stopping.py)."""
    return await run_stops(started.stops)


async def vendor_files() -> Path:
    """The back office's pinned front-end files; pages still work (without charts) offline."""
    try:
        return await asyncio.to_thread(vendor.ensure)
    except (vendor.VendorError, httpx.HTTPError) as error:
        log.warning("back office charts unavailable: could not fetch pinned front-end files: %s", error)
        return vendor.DEFAULT_DIR
