"""The periodic cross-company detectors: query the order log, then for every pattern found
put a block on the lists topic and open a case (both idempotent: the same pattern found again
rewrites the same list key and the same case event)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from detectors.lists import ListEntry
from detectors.patterns import PatternHit, PatternKind, PatternThresholds, block_entry, opened_case
from domain.fraud import CaseEvent

log = logging.getLogger(__name__)
DETECTOR = "pattern-detector"

FindPatterns = Callable[[PatternKind, datetime, PatternThresholds], Awaitable[list[PatternHit]]]
PutEntry = Callable[[ListEntry], Awaitable[None]]
PublishCase = Callable[[CaseEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PatternConfig:
    interval_s: float = 300.0
    window: timedelta = timedelta(hours=24)
    thresholds: PatternThresholds = PatternThresholds()


async def detect_once(find: FindPatterns, put: PutEntry, publish: PublishCase, config: PatternConfig,
                      now: datetime | None = None) -> list[PatternHit]:  # fmt: skip
    now = now or datetime.now(UTC)
    found: list[PatternHit] = []
    for kind in PatternKind:
        for hit in await find(kind, now - config.window, config.thresholds):
            if not hit.qualifies(config.thresholds):
                continue
            await put(block_entry(hit, DETECTOR, now, config.thresholds))
            await publish(opened_case(hit, DETECTOR))
            found.append(hit)
    if found:
        log.warning("pattern detectors found %d cross-company patterns", len(found))
    return found


async def run_periodically(find: FindPatterns, put: PutEntry, publish: PublishCase, config: PatternConfig) -> None:
    while True:
        try:
            await detect_once(find, put, publish, config)
        except Exception:  # a failed round (ClickHouse or Kafka away) is retried next round
            log.exception("pattern detectors: round failed")
        await asyncio.sleep(config.interval_s)
