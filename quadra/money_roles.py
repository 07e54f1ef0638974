"""Wiring of the money core in a worker process: the ledger agent and sandbox settlement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from api.balance_service import BalanceService
from domain.audit import AuditTrail
from quadra.settings import Settings
from streams.balance_directory import BalanceDirectory
from streams.ledger_client import KafkaLedger
from streams.replies import CommandBus
from domain.intake import Decide
from streams.audit_agent import AuditHandler
from streams.intake_agent import IntakeHandler
from streams.ledger_agent import LedgerHandler
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
    TopicNames,
    TopicSpec,
)
from streams.txn_processor import ProcessorConfig, TransactionalProcessor

Stop = Callable[[], Awaitable[None]]


def _run_until_stopped(name: str, runner: TransactionalProcessor | Settlement) -> Stop:
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
        ),
        handler,
    )


def start_order_agents(
    settings: Settings, names: TopicNames, bootstrap: str, decide: Decide
) -> list[tuple[str, Stop]]:
    """Intake, ledger and audit chains (exactly-once, on Kafka transactions) and the sandbox
    settlement."""
    prefix = settings.topic_prefix
    intake = _transactional(settings, names, bootstrap, "intake", IntakeHandler(names, decide), INTAKE_STATE)
    audit = _transactional(settings, names, bootstrap, "audit", AuditHandler(names), AUDIT_STATE)
    ledger = _transactional(settings, names, bootstrap, "ledger", LedgerHandler(names), LEDGER_STATE)
    settlement = Settlement(
        SettlementConfig(
            bootstrap=bootstrap,
            group_id=f"{prefix}quadra-settlement",
            requests_topic=names(PAYOUTS_REQUESTED),
            results_topic=names(PAYOUTS_RESULTS),
            events_topic=names(ORDERS_EVENTS),
            failure_share=settings.settlement_failure_share,
        )
    )
    return [
        ("intake", _run_until_stopped("intake", intake)),
        ("audit", _run_until_stopped("audit", audit)),
        ("ledger", _run_until_stopped("ledger", ledger)),
        ("settlement", _run_until_stopped("settlement", settlement)),
    ]


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
