"""Wiring of the money core in a worker process: the ledger agent and sandbox settlement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from api.balance_service import BalanceService
from domain.cards import CardVault
from domain.catalog import ProductSource, ProductType
from providers.banks import bank_a, bank_b
from providers.base import IGNORE_CALLS, CallHook, PayoutProvider, ProviderConfig
from providers.circuit import CircuitBreaker
from providers.gift_certificates import GiftCertificateProvider
from providers.routing import Route, Router
from providers.topups import TopUpProvider
from providers.virtual_cards import VirtualCardProvider
from domain.audit import AuditTrail
from quadra.settings import PayoutsMode, Settings, parse_card_keys
from streams.dispatch import Dispatch, DispatchConfig
from streams.balance_directory import BalanceDirectory
from streams.ledger_client import KafkaLedger
from streams.replies import CommandBus
from streams.audit_agent import AuditHandler
from streams.intake_agent import FraudCheck, IntakeHandler
from streams.ledger_agent import LedgerHandler
from streams.outbound_calls import OutboundCallLog
from streams.settlement import Settlement, SettlementConfig
from streams.topics import (
    BALANCE_COMMANDS,
    AUDIT_STATE,
    BALANCES,
    INTAKE_STATE,
    LEDGER_STATE,
    ORDERS_EVENTS,
    PAYOUTS_REQUESTED,
    PAYOUTS_RESULTS,
    REQUESTS_LOG,
    TopicNames,
    TopicSpec,
)
from streams.txn_processor import ProcessorConfig, TransactionalProcessor

Stop = Callable[[], Awaitable[None]]


def _run_until_stopped(name: str, runner: TransactionalProcessor | Settlement | Dispatch) -> Stop:
    task = asyncio.create_task(runner.run(), name=name)

    async def stop() -> None:
        await runner.stop()
        await task

    return stop


def _transactional(
    settings: Settings, names: TopicNames, bootstrap: str, name: str,
    handler: IntakeHandler | LedgerHandler | AuditHandler,
    state: TopicSpec,
) -> TransactionalProcessor:  # fmt: skip
    prefix = settings.topic_prefix
    return TransactionalProcessor(
        ProcessorConfig(
            bootstrap=bootstrap,
            group_id=f"{prefix}quadra-{name}",
            transactional_id=f"{prefix}quadra-{name}-{settings.worker_id}",
            input_topics=handler.input_topics,
            state_topic=names(state),
            fault_point=name,  # inert unless a test sets QUADRA_FAULT_CRASH_AT
        ),
        handler,
    )


def start_order_agents(
    settings: Settings, names: TopicNames, bootstrap: str, check: FraudCheck, products: ProductSource
) -> list[tuple[str, Stop]]:
    """Intake, ledger and audit chains (exactly-once, on Kafka transactions) and payouts
    (dispatch or the settlement stand-in)."""
    intake_handler = IntakeHandler(names, check, bootstrap)
    intake = _transactional(settings, names, bootstrap, "intake", intake_handler, INTAKE_STATE)
    audit = _transactional(settings, names, bootstrap, "audit", AuditHandler(names), AUDIT_STATE)
    ledger = _transactional(settings, names, bootstrap, "ledger", LedgerHandler(names), LEDGER_STATE)
    return [
        ("intake", _run_until_stopped("intake", intake)),
        ("audit", _run_until_stopped("audit", audit)),
        ("ledger", _run_until_stopped("ledger", ledger)),
        _start_payouts(settings, names, bootstrap, products),
    ]


def _start_payouts(
    settings: Settings, names: TopicNames, bootstrap: str, products: ProductSource
) -> tuple[str, Stop]:
    """Reserved orders are paid by dispatch through the providers, or by the stand-in.
    `products` (the product directory, caught up) tells dispatch each product's type."""
    prefix = settings.topic_prefix
    topics = (names(PAYOUTS_REQUESTED), names(PAYOUTS_RESULTS), names(ORDERS_EVENTS))
    if settings.payouts is PayoutsMode.SETTLEMENT:
        settlement = Settlement(SettlementConfig(
            bootstrap, f"{prefix}quadra-settlement", *topics, settings.settlement_failure_share))  # fmt: skip
        return "settlement", _run_until_stopped("settlement", settlement)
    # All kept alive (httpx keeps 20 of 100: bursts reopened connections) and few: httpcore
    # checks every pooled connection on every request (settings.provider_connections).
    n = settings.provider_connections
    connections = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    client = httpx.AsyncClient(base_url=settings.providers_url, limits=connections)
    vault = CardVault(
        parse_card_keys(settings.card_keys.get_secret_value()),
        settings.card_token_key.get_secret_value().encode(),
    )
    # One hook for every adapter: dispatch tells it whose payout each call belongs to.
    call_log = OutboundCallLog(names(REQUESTS_LOG))
    config = ProviderConfig(token=settings.providers_token.get_secret_value())
    router = sandbox_router(client, config, on_call=call_log)
    dispatch = Dispatch(DispatchConfig(bootstrap, f"{prefix}quadra-dispatch", *topics), router,
                        products, vault, call_log)  # fmt: skip
    stop_dispatch = _run_until_stopped("dispatch", dispatch)

    async def stop() -> None:
        await stop_dispatch()
        await client.aclose()

    return "dispatch", stop


def sandbox_router(
    client: httpx.AsyncClient, config: ProviderConfig, on_call: CallHook = IGNORE_CALLS
) -> Router:
    """Product types to the sandbox's providers; card transfers fail over from bank A to B.
    `on_call` hears every HTTP call any of them makes (sanitized)."""

    def route(provider: PayoutProvider) -> Route:
        return Route(provider, CircuitBreaker(failure_threshold=5, cool_down_s=30.0))

    return Router({
        ProductType.CARD_TRANSFER: [route(bank_a(client, config, on_call)),
                                    route(bank_b(client, config, on_call))],
        ProductType.VIRTUAL_CARD: [route(VirtualCardProvider(client, config, on_call))],
        ProductType.GIFT_CERTIFICATE: [route(GiftCertificateProvider(client, config, on_call))],
        ProductType.MOBILE_TOPUP: [route(TopUpProvider(client, config, on_call))],
    })  # fmt: skip


async def start_balance_api(
    settings: Settings, names: TopicNames, bootstrap: str, bus: CommandBus, audit: AuditTrail,
    stops: list[tuple[str, Stop]],
) -> BalanceService:  # fmt: skip
    """The balance replica (caught up before returning) and the balance use case."""
    directory = BalanceDirectory(bootstrap, names(BALANCES), settings.kafka_partitions)
    await directory.start()
    stops.append(("balance directory", directory.stop))
    ledger = KafkaLedger(bus, names(BALANCE_COMMANDS), settings.intake_reply_timeout_s)
    return BalanceService(directory, ledger, audit)
