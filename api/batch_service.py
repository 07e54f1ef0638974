"""Mass payouts: `POST /v1/batches` and its reads. Collaborators come in as ports.

Where a batch lives, durably:
- Its header (who, which key, the body's keyed hash, line counts) and its rejected lines go to
  the compacted topics `batches` and `batches.lines` (streams/batch_store.py); the sink stores
  them in ClickHouse (`batches`, `batch_rejected_lines`, migration 0012).
- Each good line becomes an order through the order path itself: validated by OrderCreate and
  the company's catalog terms (OrderService.prepare), submitted to intake (IntakePort.submit:
  published to orders.requested with acks=all, then intake's verdict awaited) with the
  Idempotency-Key `batch:<batch id>:<line>`, 1,000 in flight (intake commits up to 500 a
  transaction: with 200 in flight it admitted a quarter as many lines per second). The order
  carries the batch id and its line, so progress and per-line results are ClickHouse reads
  over the orders' latest state (`batch_orders`) plus the rejected lines. Nothing about a
  batch is kept only in memory.

Exactly once: the batch id is a keyed hash of (company, Idempotency-Key), so a retried POST
(after a crash, a timeout, a lost answer) names the same line keys, and intake, the one writer
of a company's idempotency keys, pays each line at most once. The header is written (version 1)
before any line is submitted and again (version 2, `submitted_at`) once every line has been;
a retry of a batch whose version 2 never came submits its lines again (intake answers the ones
it has already taken) and completes it. Same key, other body: 409, as for orders.

Limits: two POSTs with one key and different bodies, on different API nodes, within the sink's
lag (about a second) both pass the 409 check (the header is read from ClickHouse); intake still
pays each line key once, and a line whose body differs from the one paid is refused as a
conflict. A catalog change between a crashed POST and its retry is not reconciled: a line
accepted the first time and refused by the retry stays pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from analytics.reports.cursor import cursor_datetime, cursor_int, cursor_str, decode_cursor, encode_cursor
from api import errors
from api.batch_upload import BatchUpload, ReadBatch, ReadLine, read_batch
from api.order_service import IntakePort, new_request_id
from api.schemas import OrderCreate
from domain.batches import (
    PENDING_LINE,
    REJECTED_LINE,
    BatchFormat,
    BatchHeader,
    BatchLine,
    BatchProgress,
    LineError,
    OrderTally,
    RejectedLine,
    csv_column,
    line_idempotency_key,
    results_csv_chunk,
    rollup,
)
from domain.companies import ApiKey, KeyMode
from domain.errors import DomainError, InvalidCursor
from domain.intake import Admission
from domain.orders import BatchLineRef, OrderRequest

log = logging.getLogger(__name__)
_YIELD_EVERY = 250  # lines prepared between yields to the event loop (10,000 take ~1 s of CPU)
_RESULTS_CHUNK = 1000


class BatchStore(Protocol):
    async def save_header(self, header: BatchHeader) -> None: ...

    async def save_rejected(self, lines: Sequence[RejectedLine]) -> None: ...


class BatchReader(Protocol):
    async def header(self, company_id: str | None, batch_id: str) -> BatchHeader | None: ...

    async def headers(
        self, company_id: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[BatchHeader]: ...

    async def tallies(self, batches: Sequence[tuple[str, str]]) -> dict[str, list[OrderTally]]:
        """Per batch id of the (company id, batch id) pairs."""

    async def order_lines(
        self, company_id: str, batch_id: str, first: int, last: int, status: str | None, limit: int
    ) -> list[BatchLine]: ...

    async def rejected_lines(
        self, company_id: str, batch_id: str, first: int, last: int, limit: int
    ) -> list[BatchLine]: ...


class OrderPreparer(Protocol):
    def prepare(
        self, key: ApiKey, idempotency_key: str, body: OrderCreate, request_id: str, now: datetime,
        batch: BatchLineRef | None = None,
    ) -> OrderRequest: ...  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchView:
    header: BatchHeader
    progress: BatchProgress


@dataclass(frozen=True, slots=True)
class BatchResponse:
    http_status: int  # 202 created, 200 a replay
    batch: BatchView


@dataclass(frozen=True, slots=True)
class BatchPage:
    batches: list[BatchView]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: list[BatchLine]
    next_cursor: str | None


class BatchService:
    def __init__(
        self,
        orders: OrderPreparer,
        intake: IntakePort,
        store: BatchStore,
        reader: BatchReader,
        keyed_hash: Callable[[bytes], str],
        reply_timeout_s: float,
        in_flight: int = 1000,
        visible_timeout_s: float = 10.0,
    ) -> None:
        self._orders = orders
        self._intake = intake
        self._store = store
        self._reader = reader
        self._hash = keyed_hash
        self._reply_timeout_s = reply_timeout_s
        self._in_flight = in_flight
        self._visible_timeout_s = visible_timeout_s
        self._running: dict[str, asyncio.Task[BatchHeader]] = {}  # this node's batches being submitted

    def batch_id_for(self, company_id: str, idempotency_key: str) -> str:
        return "bat_" + self._hash(f"batch\x1f{company_id}\x1f{idempotency_key}".encode())[:32]

    async def create(
        self, key: ApiKey, idempotency_key: str, upload: BatchUpload, request_id: str, now: datetime
    ) -> BatchResponse:
        # A body that is no batch: a 4xx, nothing written. In a thread: 10,000 lines take a while.
        batch = await asyncio.to_thread(read_batch, upload)
        batch_id = self.batch_id_for(key.company_id, idempotency_key)
        body_hash = self._hash(batch.format.value.encode() + b"\n" + batch.canonical)
        existing = await self._settled(key.company_id, batch_id)
        if existing is not None and existing.body_hash != body_hash:
            raise errors.idempotency_conflict(idempotency_key)
        if existing is not None and existing.submitted_at is not None:
            await self._until_visible(existing)
            return BatchResponse(200, await self._view(existing))
        fresh = BatchHeader(
            batch_id, key.company_id, idempotency_key, body_hash, batch.format, batch.reference,
            key.mode is KeyMode.TEST, request_id, now.astimezone(UTC), len(batch.lines),
            len(batch.good), len(batch.lines) - len(batch.good),
        )  # fmt: skip
        # Shielded: a client that hangs up does not stop the submission half way.
        task = asyncio.create_task(self._submit(key, batch, existing or fresh, existing is None))
        self._running[batch_id] = task
        task.add_done_callback(lambda _: self._running.pop(batch_id, None))
        header = await asyncio.shield(task)
        await self._until_visible(header)
        return BatchResponse(202 if existing is None else 200, await self._view(header))

    async def _settled(self, company_id: str, batch_id: str) -> BatchHeader | None:
        """The batch as stored, once this node's submission of it (the same key, sent again
        while the first POST still runs) has ended."""
        running = self._running.get(batch_id)
        if running is not None:
            await asyncio.wait({running})
            if not running.cancelled() and running.exception() is None:
                return running.result()
        return await self._reader.header(company_id, batch_id)

    async def _submit(self, key: ApiKey, batch: ReadBatch, header: BatchHeader, new: bool) -> BatchHeader:
        requests, rejected = await self._prepare(key, batch, header)
        if new:
            await self._store.save_rejected(rejected)
            header = replace(header, accepted_lines=len(requests), rejected_lines=len(rejected))
            await self._store.save_header(header)
        conflicts = await self._submit_lines(requests)
        if conflicts:
            at = datetime.now(UTC)
            await self._store.save_rejected([
                RejectedLine(header.id, header.company_id, line, None, (LineError(
                    "", "idempotency-key-reused",
                    "this line's key was used for another body (the same Idempotency-Key sent with another batch)",
                ),), at) for line in conflicts
            ])  # fmt: skip
        # Counted afresh (not from the stored header): a retry meets its earlier conflicts again.
        submitted = replace(
            header, submitted_at=datetime.now(UTC), accepted_lines=len(requests) - len(conflicts),
            rejected_lines=len(rejected) + len(conflicts),
        )  # fmt: skip
        await self._store.save_header(submitted)
        return submitted

    async def _prepare(
        self, key: ApiKey, batch: ReadBatch, header: BatchHeader
    ) -> tuple[list[OrderRequest], list[RejectedLine]]:
        """Each good line checked against the catalog and tokenized, exactly as an order is."""
        requests: list[OrderRequest] = []
        rejected: list[RejectedLine] = []
        for index, line in enumerate(batch.lines):
            if index % _YIELD_EVERY == _YIELD_EVERY - 1:
                await asyncio.sleep(0)  # other requests are served meanwhile
            found = self._request(key, header, line)
            if isinstance(found, OrderRequest):
                requests.append(found)
            else:
                rejected.append(RejectedLine(header.id, header.company_id, line.line, line.external_id, found, header.created_at))
        return requests, rejected

    def _request(self, key: ApiKey, header: BatchHeader, line: ReadLine) -> OrderRequest | tuple[LineError, ...]:
        if line.order is None:
            return line.errors
        line_key = line_idempotency_key(header.id, line.line)
        try:
            return self._orders.prepare(
                key, line_key, line.order, new_request_id(datetime.now(UTC)), datetime.now(UTC),
                BatchLineRef(header.id, line.line),
            )  # fmt: skip
        except DomainError as refused:  # outside the catalog: the order path's 422, per line
            pointer = refused.pointer if header.format is BatchFormat.JSON else csv_column(refused.pointer)
            return (LineError(pointer, refused.slug, refused.detail),)

    async def _submit_lines(self, requests: list[OrderRequest]) -> list[int]:
        """Every request published and answered (or timed out: published, intake will take it),
        `in_flight` at a time; returns the lines intake refused as conflicts. A failure to
        publish is a 503: the client retries with the same key and nothing is paid twice."""
        conflicts: list[int] = []
        pending = iter(requests)

        async def worker() -> None:
            for request in pending:  # shared: each request goes to exactly one worker
                reply = await self._intake.submit(request, self._reply_timeout_s)
                if reply is not None and (reply.admission is Admission.CONFLICT or reply.order is None):
                    assert request.batch is not None
                    conflicts.append(request.batch.line)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._in_flight, len(requests))):
                    group.create_task(worker())
        except* Exception as failed:
            log.error("batch submission failed", exc_info=failed)
            raise errors.intake_unavailable() from None
        return sorted(conflicts)

    async def _until_visible(self, header: BatchHeader) -> None:
        """Read your writes: answer once ClickHouse has the header, so a GET on any node finds it."""
        deadline = asyncio.get_running_loop().time() + self._visible_timeout_s
        while asyncio.get_running_loop().time() < deadline:
            stored = await self._reader.header(header.company_id, header.id)
            if stored is not None and stored.version >= header.version:
                return
            await asyncio.sleep(0.1)
        log.warning("batch %s not visible in ClickHouse after %.0f s", header.id, self._visible_timeout_s)

    async def _view(self, header: BatchHeader) -> BatchView:
        return (await self._views([header]))[0]

    async def _views(self, headers: Sequence[BatchHeader]) -> list[BatchView]:
        tallies = await self._reader.tallies([(h.company_id, h.id) for h in headers])
        return [BatchView(h, rollup(h, tallies.get(h.id, []))) for h in headers]

    async def get(self, company_id: str | None, batch_id: str) -> BatchView:
        """One batch; `company_id` None: any company's (staff)."""
        return await self._view(await self._header(company_id, batch_id))

    async def _header(self, company_id: str | None, batch_id: str) -> BatchHeader:
        header = await self._reader.header(company_id, batch_id)
        if header is None:
            raise errors.not_found("No such batch for this key")
        return header

    async def list_batches(self, company_id: str | None, cursor: str | None, limit: int) -> BatchPage:
        """Newest first; `company_id` None: every company's (staff)."""
        kind = f"batches:{company_id or '*'}"
        after = None
        if cursor is not None:
            at, batch_id = _pair(decode_cursor(kind, cursor))
            after = (cursor_datetime(at), cursor_str(batch_id))
        headers = await self._reader.headers(company_id, after, limit + 1)
        views = await self._views(headers[:limit])
        more = len(headers) > limit
        last = headers[limit - 1] if more else None
        return BatchPage(views, encode_cursor(kind, [last.created_at, last.id]) if last else None)

    async def lines(
        self, company_id: str | None, batch_id: str, status: str | None, cursor: str | None, limit: int
    ) -> LinePage:
        """The batch's lines in line order: every line when `status` is None (a good line whose
        order is not stored yet is `pending`), else only those of that status."""
        header = await self._header(company_id, batch_id)
        kind = f"batch-lines:{batch_id}:{status or ''}"
        after = 0 if cursor is None else cursor_int(_one(decode_cursor(kind, cursor)))
        lines = await self._lines(header, status, after, limit + 1)
        more = len(lines) > limit
        lines = lines[:limit]
        return LinePage(lines, encode_cursor(kind, [lines[-1].line]) if more else None)

    async def _lines(self, header: BatchHeader, status: str | None, after: int, limit: int) -> list[BatchLine]:
        company, total = header.company_id, header.total_lines
        if status == REJECTED_LINE:
            return await self._reader.rejected_lines(company, header.id, after + 1, total, limit)
        if status is not None:
            return await self._reader.order_lines(company, header.id, after + 1, total, status, limit)
        last = min(total, after + limit)
        if last <= after:
            return []
        found = {
            line.line: line
            for line in (
                *await self._reader.order_lines(company, header.id, after + 1, last, None, limit),
                *await self._reader.rejected_lines(company, header.id, after + 1, last, limit),
            )
        }
        return [found.get(n) or BatchLine(n, PENDING_LINE) for n in range(after + 1, last + 1)]

    async def results_csv(self, company_id: str | None, batch_id: str) -> tuple[BatchHeader, AsyncIterator[str]]:
        """The header (a 404 comes before any byte is sent) and the CSV, a chunk at a time."""
        header = await self._header(company_id, batch_id)

        async def chunks() -> AsyncIterator[str]:
            after = 0
            while after < header.total_lines:
                lines = await self._lines(header, None, after, _RESULTS_CHUNK)
                yield results_csv_chunk(lines, header=after == 0)
                after = lines[-1].line

        return header, chunks()


def _pair(values: list[object]) -> tuple[object, object]:
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return values[0], values[1]


def _one(values: list[object]) -> object:
    if len(values) != 1:
        raise InvalidCursor("not a cursor from this API", "cursor")
    return values[0]
