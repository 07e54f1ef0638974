"""Kafka records an answer must not wait on for long: the request log and key-use audit.

Why: the edge holds each response until its request-log record (and, for a key's use, the
audit event) is durable, so a response a client saw is never missing from the log. With the
broker away that wait was aiokafka's whole delivery timeout (~40 s) per response, so a partner
got its 503 only once the broker was back. Now the wait is bounded: what the broker has not
acknowledged within `wait_s` is appended to a local fsynced spool (`SpoolFile`) and the answer
goes out; a background task sends the spool again once the broker takes records (and at start,
for what a crash left). Replays are idempotent: request-log rows fold by request id
(ReplacingMergeTree) and audit events by their id, derived from the request id, in the audit
agent's dedup window; a record whose late acknowledgement arrives after it was spooled is
therefore harmless when sent a second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from streams.spool import SpooledRecord, SpoolFile

log = logging.getLogger(__name__)

SendAndWait = Callable[..., Awaitable[object]]  # AIOKafkaProducer.send_and_wait


class RecordSender(Protocol):
    """What the request log and the audit trail send with: a producer, or a KafkaOutbox."""

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> object: ...


def _retrieve(task: asyncio.Future[object]) -> None:
    """A send the caller stopped waiting for: its outcome is the spool's business now."""
    if not task.cancelled():
        task.exception()


class KafkaOutbox:
    def __init__(
        self, send_and_wait: SendAndWait, spool: SpoolFile, wait_s: float, retry_s: float = 1.0
    ) -> None:
        self._send_and_wait = send_and_wait
        self._spool = spool
        self._wait_s = wait_s
        self._retry_s = retry_s
        self._spooled = asyncio.Event()

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        """The producer's call, so the request log and audit trail take either. Returns once
        the broker has the record or, after `wait_s`, the spool has it (fsynced). Raises only
        when neither could take it (the spool full or its disk failing)."""
        sending = asyncio.ensure_future(self._send_and_wait(topic, value, key=key))
        done, _ = await asyncio.wait({sending}, timeout=self._wait_s)
        if sending not in done:
            sending.add_done_callback(_retrieve)
        elif sending.cancelled():
            log.warning("the send of a %s record was cancelled, spooling it", topic)
        elif (error := sending.exception()) is None:
            return
        else:
            log.warning("kafka refused a %s record, spooling it: %r", topic, error)
        await asyncio.to_thread(self._spool.append, [SpooledRecord(topic, key, value)])
        self._spooled.set()

    async def replay(self) -> int:
        """Sends every spooled batch again, oldest first; a batch leaves the spool only once the
        broker acknowledged all of it. Returns the records sent; stops at the first batch the
        broker does not take in time (the next round retries it)."""
        sent = 0
        for path in await asyncio.to_thread(self._spool.batches):
            records = await asyncio.to_thread(self._spool.read, path)
            # The first record probes the broker: while it is still away, one more copy
            # waits in the producer instead of the whole batch.
            for chunk in (records[:1], records[1:]):
                if chunk and not await self._all_sent(chunk):
                    return sent
            await asyncio.to_thread(self._spool.remove, path)
            sent += len(records)
            log.info("replayed %d spooled records of %s", len(records), path.name)
        return sent

    async def _all_sent(self, records: list[SpooledRecord]) -> bool:
        sends = [
            asyncio.ensure_future(self._send_and_wait(r.topic, r.value, key=r.key))
            for r in records
        ]
        done, pending = await asyncio.wait(sends, timeout=max(self._wait_s, 5.0))
        for task in pending:
            task.add_done_callback(_retrieve)
        failed = [t for t in done if t.exception() is not None]  # retrieves every outcome
        return not pending and not failed

    async def run(self) -> None:
        """Replays until cancelled: at once (a spool an earlier run left), then whenever
        something was spooled, every `retry_s` until the spool is empty."""
        while True:
            self._spooled.clear()
            if await asyncio.to_thread(self._spool.pending):
                try:
                    await self.replay()
                except Exception:  # a broken spool file must not stop later replays
                    log.exception("replaying the outbox spool failed")
                if await asyncio.to_thread(self._spool.pending):
                    await asyncio.sleep(self._retry_s)
                    continue
            await self._spooled.wait()
