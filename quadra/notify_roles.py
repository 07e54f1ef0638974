"""Wiring of partner webhooks: the notify agent in a worker, the delivery log's sink route,
and the staff delivery-log use case in an API process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
from aiokafka import AIOKafkaProducer

from analytics.clickhouse import ClickHouse
from analytics.rows import REQUEST_LOG_COLUMNS
from analytics.webhook_json_rows import WEBHOOK_ATTEMPT_FROM_JSON
from analytics.webhook_rows import (
    WEBHOOK_ATTEMPT_COLUMNS, WEBHOOK_DELIVERY_COLUMNS, webhook_attempt_row, webhook_delivery_row,
    webhook_request_row,
)  # fmt: skip
from analytics.webhooks_repo import ClickHouseWebhookLog
from api.staff.services import StaffServices
from api.staff.webhook_service import WebhookAdmin
from domain.audit import AuditTrail
from domain.cards import CardVault
from domain.webhooks import WebhookEndpoint
from quadra.settings import Environment, Settings, parse_card_keys
from streams.directories import CompanyDirectory
from streams.notify import EndpointLookup, Notify, NotifyConfig
from streams.sink import SinkRoute, TableTarget
from streams.topics import (
    COMPANIES, ORDERS_EVENTS, PARTNER_EVENTS, WEBHOOKS_ATTEMPTS, WEBHOOKS_REPLAYS, WEBHOOKS_STATE,
    TopicNames,
)  # fmt: skip
from streams.webhook_messages import decode_attempt
from streams.webhook_replays import KafkaReplayQueue
from streams.webhook_destinations import PublicDestinations
from streams.webhook_sender import WebhookSender

Stop = Callable[[], Awaitable[None]]
ATTEMPT_TIMEOUT_S = 10.0  # a partner that has not answered by then has failed this attempt


def endpoint_lookup(companies: CompanyDirectory) -> EndpointLookup:
    def lookup(company_id: str) -> WebhookEndpoint | None:
        company = companies.get(company_id)
        return company.webhook if company is not None else None

    return lookup


def webhook_sender(settings: Settings, client: httpx.AsyncClient, vault: CardVault) -> WebhookSender:
    """In live mode deliveries go to public addresses only (streams/webhook_destinations.py);
    locally, endpoints on this machine are how partners and tests receive them."""
    live = settings.environment is Environment.LIVE
    return WebhookSender(client, vault.reveal, destinations=PublicDestinations().check if live else None)


async def start_notify(settings: Settings, names: TopicNames, bootstrap: str) -> tuple[str, Stop]:
    """The notify agent of a worker, with its own replica of the companies (endpoints)."""
    companies = CompanyDirectory(bootstrap, names(COMPANIES), settings.kafka_partitions)
    await companies.start()  # caught up: events are matched against current endpoints
    vault = CardVault(
        parse_card_keys(settings.card_keys.get_secret_value()),
        settings.card_token_key.get_secret_value().encode(),
    )
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(ATTEMPT_TIMEOUT_S), follow_redirects=False,
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )  # fmt: skip
    prefix = settings.topic_prefix
    config = NotifyConfig(
        bootstrap=bootstrap, group_id=f"{prefix}quadra-notify",
        transactional_id=f"{prefix}quadra-notify-{settings.worker_id}",
        orders_topic=names(ORDERS_EVENTS), partner_events_topic=names(PARTNER_EVENTS),
        replays_topic=names(WEBHOOKS_REPLAYS), state_topic=names(WEBHOOKS_STATE),
        attempts_topic=names(WEBHOOKS_ATTEMPTS),
    )  # fmt: skip
    notify = Notify(config, endpoint_lookup(companies), webhook_sender(settings, client, vault),
                    endpoints_synced=companies.sync)  # fmt: skip
    task = asyncio.create_task(notify.run(), name="notify")

    async def stop() -> None:
        await notify.stop()
        await task
        await client.aclose()
        await companies.stop()

    return "notify", stop


def webhook_sink_route(names: TopicNames) -> SinkRoute:
    return SinkRoute(
        names(WEBHOOKS_ATTEMPTS),
        decode_attempt,
        (
            TableTarget("webhook_attempts", WEBHOOK_ATTEMPT_COLUMNS, webhook_attempt_row),
            TableTarget("webhook_deliveries", WEBHOOK_DELIVERY_COLUMNS, webhook_delivery_row),
            TableTarget("request_log", REQUEST_LOG_COLUMNS, webhook_request_row),
        ),
        from_json=WEBHOOK_ATTEMPT_FROM_JSON,  # ClickHouse computes the three rows
    )


def with_webhook_admin(
    staff: StaffServices, clickhouse: ClickHouse, producer: AIOKafkaProducer, names: TopicNames,
    audit: AuditTrail,
) -> StaffServices:  # fmt: skip
    """The staff services plus the delivery log (ClickHouse) and replays (Kafka)."""
    replays = KafkaReplayQueue(producer, names(WEBHOOKS_REPLAYS))
    return replace(staff, webhooks=WebhookAdmin(ClickHouseWebhookLog(clickhouse), replays, audit))
