"""Wiring of fraud detection: the sink routes of the fraud topics (and, in a worker, the
fraud check the intake runs)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

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
from quadra.settings import Settings
from streams import fraud_messages as fm
from streams.sink import SinkRoute, TableTarget
from streams.topics import FRAUD_CASES, FRAUD_DECISIONS, PARTNER_EVENTS, TopicNames


def fraud_sink_routes(names: TopicNames) -> list[SinkRoute]:
    return [
        SinkRoute(names(FRAUD_DECISIONS), fm.decode_decision,
                  (TableTarget("decisions", DECISION_COLUMNS, decision_row),)),
        SinkRoute(names(FRAUD_CASES), fm.decode_case_event,
                  (TableTarget("fraud_case_events", CASE_EVENT_COLUMNS, case_event_row),)),
        # partner.events also carries balance.low: those rows are None (no report).
        SinkRoute(names(PARTNER_EVENTS), decode_partner_fraud_report,
                  (TableTarget("fraud_reports", FRAUD_REPORT_COLUMNS, fraud_report_row),)),
    ]  # fmt: skip


class JudgesBoard:
    """The judges in service, rebuilt when the model directory changes."""

    def __init__(self, models: ModelWatcher | None) -> None:
        self._models = models
        self._judges = Judges()

    def __call__(self) -> Judges:
        return self._judges

    def refresh(self) -> None:
        if self._models is not None and self._models.refresh():
            m = self._models
            self._judges = Judges(m.scorer, m.models.version if m.models else "")


def start_fraud_check(settings: Settings) -> tuple[FraudEngine, Callable[[], Awaitable[None]]]:
    """The engine the intake runs, and the stop of its reload task."""
    watcher = ModelWatcher(settings.fraud_model_dir) if settings.fraud_model_dir else None
    board = JudgesBoard(watcher)
    board.refresh()

    async def reload() -> None:
        while True:
            await asyncio.sleep(settings.fraud_model_poll_s)
            await asyncio.to_thread(board.refresh)

    task = asyncio.create_task(reload(), name="fraud judges reload")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return FraudEngine(board, settings.fraud_label_delay_s), stop
