"""API side of the company registry: commands to the registry agent (replies applied to this
node's replicas), and the last-used times of API keys, reported off the request path."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from domain.companies import ApiKey
from domain.registry import RecordKeyUse, RegistryCommand, RegistryResult
from streams.command_client import send_command
from streams.directories import CompanyDirectory
from streams.feeds import KeyDirectory
from streams.healing_producer import RecordWriter
from streams.messages import api_key_from_dict
from streams.registry_messages import company_from_dict, encode_registry_command
from streams.replies import CommandBus

log = logging.getLogger(__name__)


class KafkaRegistry:
    def __init__(
        self,
        bus: CommandBus,
        topic: str,
        companies: CompanyDirectory,
        keys: KeyDirectory,
        timeout: float,
    ) -> None:
        self._bus = bus
        self._topic = topic
        self._companies = companies
        self._keys = keys
        self._timeout = timeout

    async def submit(self, command: RegistryCommand) -> RegistryResult:
        """Raises CommandRefused (with the registry's status) or NoReply."""
        payload = await send_command(
            self._bus, self._topic, command.company_id, encode_registry_command(command),
            command.request_id, self._timeout,
        )  # fmt: skip
        company = company_from_dict(payload["company"])
        key = api_key_from_dict(payload["key"]) if payload.get("key") else None
        self._companies.remember(company)  # this node sees its own change at once
        if key is not None:
            self._keys.remember(key)
        return RegistryResult(company, key)


class KeyUseReporter:
    """Remembers the last use of each key in memory; a background task reports it to the
    registry at most once per `every_s` per key, so a request only pays a dict write."""

    def __init__(
        self,
        producer: RecordWriter,
        topic: str,
        every_s: float = 60.0,
        tick_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._every_s = every_s
        self._tick_s = tick_s
        self._clock = clock
        self._unreported: dict[str, tuple[str, datetime]] = {}  # key hash -> (company, last use)
        self._reported_at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def touch(self, key: ApiKey, at: datetime) -> None:
        self._unreported[key.key_hash] = (key.company_id, at)

    async def report_due(self) -> int:
        """Report every key whose last report is at least `every_s` old; returns how many."""
        now = self._clock()
        due = [
            h for h in self._unreported
            if now - self._reported_at.get(h, float("-inf")) >= self._every_s
        ]  # fmt: skip
        for key_hash in due:
            company_id, at = self._unreported.pop(key_hash)
            self._reported_at[key_hash] = now
            command = RecordKeyUse(company_id, key_hash, at)
            await self._producer.send(
                self._topic, encode_registry_command(command), key=company_id.encode()
            )
        return len(due)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            try:
                await self.report_due()
            except Exception:  # a lost report only makes last-used a minute staler
                log.exception("reporting API key use failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="key-use-reporter")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._reported_at.clear()
        try:
            await self.report_due()  # what is still unreported goes out before the producer stops
        except Exception:
            log.exception("final API key use report failed")
