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
from streams.ledger_agent import LedgerHandler
from streams.settlement import Settlement, SettlementConfig
from streams.topics import (
    BALANCE_COMMANDS,
    BALANCES,
    LEDGER_STATE,
    ORDERS_EVENTS,
    PAYOUTS_REQUESTED,
    PAYOUTS_RESULTS,
    TopicNames,
)
from streams.txn_processor import ProcessorConfig, TransactionalProcessor

Stop = Callable[[], Awaitable[None]]


def _run_until_stopped(name: str, runner: TransactionalProcessor | Settlement) -> Stop:
    task = asyncio.create_task(runner.run(), name=name)

    async def stop() -> None:
        await runner.stop()
        await task

    return stop


def start_money_agents(settings: Settings, names: TopicNames, bootstrap: str) -> list[tuple[str, Stop]]:
    prefix = settings.topic_prefix
    handler = LedgerHandler(names)
    ledger = TransactionalProcessor(
        ProcessorConfig(
            bootstrap=bootstrap,
            group_id=f"{prefix}quadra-ledger",
            transactional_id=f"{prefix}quadra-ledger-{settings.worker_id}",
            input_topics=handler.input_topics,
            state_topic=names(LEDGER_STATE),
        ),
        handler,
    )
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
