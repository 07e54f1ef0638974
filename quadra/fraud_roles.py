"""Wiring of fraud detection: the sink routes of the fraud topics (and, in a worker, the
fraud check the intake runs)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from datetime import datetime

from aiokafka import AIOKafkaProducer
from threadpoolctl import threadpool_limits

from analytics.clickhouse import ClickHouse
from analytics.fraud_patterns import find_patterns
from analytics.rollups.definitions import DECISIONS, RULE_HITS
from analytics.rollups.marks import MarkDays
from analytics.fraud_rows import (
    CASE_EVENT_COLUMNS,
    DECISION_COLUMNS,
    FRAUD_REPORT_COLUMNS,
    case_event_row,
    decision_row,
    decode_partner_fraud_report,
    fraud_report_row,
)
from detectors.engine import FraudEngine, Judges
from detectors.models.watch import ModelWatcher
from detectors.rules.defaults import DEFAULT_RULES
from detectors.patterns import PatternHit, PatternKind, PatternThresholds
from quadra.settings import Settings
from streams import fraud_messages as fm
from streams.sink import SinkRoute, TableTarget
from streams.fraud_clients import KafkaCaseLog
from streams.fraud_lists import KafkaListStore, ListDirectory
from streams.healing_producer import HealingProducer
from streams.fraud_rules import RuleDirectory
from streams.pattern_detector import PatternConfig, run_periodically
from streams.topics import FRAUD_CASES, FRAUD_DECISIONS, FRAUD_LISTS, FRAUD_RULES, PARTNER_EVENTS, TopicNames


def fraud_sink_routes(names: TopicNames) -> list[SinkRoute]:
    return [
        # Decisions mark their days for both decision rollups (risk dashboard, rule statistics).
        SinkRoute(names(FRAUD_DECISIONS), fm.decode_decision,
                  (TableTarget("decisions", DECISION_COLUMNS, decision_row,
                               MarkDays(DECISIONS, DECISION_COLUMNS, (RULE_HITS,))),)),
        SinkRoute(names(FRAUD_CASES), fm.decode_case_event,
                  (TableTarget("fraud_case_events", CASE_EVENT_COLUMNS, case_event_row),)),
        # partner.events also carries balance.low: those rows are None (no report).
        SinkRoute(names(PARTNER_EVENTS), decode_partner_fraud_report,
                  (TableTarget("fraud_reports", FRAUD_REPORT_COLUMNS, fraud_report_row),)),
    ]  # fmt: skip


class JudgesBoard:
    """The judges in service: the published rules and the lists (replicas of their topics,
    current at every batch) and the model (re-read when its directory changes)."""

    def __init__(self, rules: RuleDirectory, lists: ListDirectory, models: ModelWatcher | None) -> None:
        self._rules = rules
        self._lists = lists
        self._models = models

    def __call__(self) -> Judges:
        _, ruleset = self._rules.book.compiled()
        m = self._models
        if m is None or m.scorer is None:
            return Judges(ruleset, self._lists.index)
        return Judges(ruleset, self._lists.index, m.scorer, m.models.version if m.models else "")

    def refresh_model(self) -> None:
        if self._models is not None:
            self._models.refresh()


async def start_fraud_check(
    settings: Settings, names: TopicNames, bootstrap: str
) -> tuple[FraudEngine, Callable[[], Awaitable[None]]]:
    """The engine the intake runs (its rules and lists replicas caught up), and its stop."""
    # One OpenMP thread for the model in this process, for as long as the engine runs.
    threads = threadpool_limits(1)
    rules = RuleDirectory(bootstrap, names(FRAUD_RULES), DEFAULT_RULES if settings.fraud_builtin_rules else ())
    lists = ListDirectory(bootstrap, names(FRAUD_LISTS))
    await rules.start()
    await lists.start()
    board = JudgesBoard(rules, lists, ModelWatcher(settings.fraud_model_dir) if settings.fraud_model_dir else None)
    await asyncio.to_thread(board.refresh_model)

    async def reload() -> None:
        while True:
            await asyncio.sleep(settings.fraud_model_poll_s)
            await asyncio.to_thread(board.refresh_model)

    task = asyncio.create_task(reload(), name="fraud model reload")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await lists.stop()
        await rules.stop()
        threads.restore_original_limits()

    return FraudEngine(board, settings.fraud_label_delay_s), stop


async def start_pattern_detector(
    settings: Settings, names: TopicNames, bootstrap: str, clickhouse: ClickHouse
) -> Callable[[], Awaitable[None]]:
    """The cross-company detectors, where the sink runs (they read what it wrote)."""
    producer = HealingProducer(
        lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    )
    await producer.start()
    lists = KafkaListStore(producer, names(FRAUD_LISTS))
    cases = KafkaCaseLog(producer, names(FRAUD_CASES))

    async def find(kind: PatternKind, since: datetime, thresholds: PatternThresholds) -> list[PatternHit]:
        return await find_patterns(clickhouse, kind, since, thresholds, include_sandbox=settings.fraud_patterns_sandbox)

    config = PatternConfig(interval_s=settings.fraud_patterns_interval_s)
    task = asyncio.create_task(run_periodically(find, lists.put, cases.append, config), name="pattern detectors")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()

    return stop
