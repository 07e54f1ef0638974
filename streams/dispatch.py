"""Dispatch: reserved orders → payout providers → results for the ledger (capture or release).

At-least-once over `payouts.requested` (read_committed: only reservations the ledger
committed). Paying twice is prevented at the provider, never by hoping: every payout carries
the order id as its idempotency key, and before paying, dispatch asks the providers that could
know the order from an earlier try (a redelivery after a crash, an earlier ambiguous call, a
fail-over) whether they do; the provider it pays first answers a repeated pay with what it did.
Only when no provider knows it does dispatch pay. Card numbers are decrypted here and nowhere else.

What a provider delivers for the end user (gift code, virtual card details) is sealed by the
card vault at once and travels only as ciphertext. Every provider call becomes a sanitized
`outbound` request-log record, produced with the results, before the offsets are committed.

Up to `max_in_flight` payouts run at once (streams/inflight.py): each result is produced when
its payout settles, and a partition's offset is committed past a record only when it and every
earlier record have produced theirs, so what a crash redoes is at most the window in flight.

One owner per order at a time: in a rebalance, the payouts in flight on the revoked partitions
end before the partitions move (streams/handover.py), and after a failure those in flight end
before this consumer leaves the group. Two dispatchers paying one order at once could each find
it unknown everywhere and pay it at two providers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from domain.cards import CardVault
from domain.catalog import ProductSource
from domain.events import events_for
from domain.orders import Order, OrderStatus
from providers.base import OutcomeState, PayoutOutcome, PayoutRequest
from providers.routing import Router
from streams import messages
from streams.fault_points import crash_point
from streams.handover import Handover
from streams.inflight import InFlight
from streams.ledger_messages import PayoutResult, encode_payout_result
from streams.outbound_calls import OutboundCallLog
from streams.relay import RelayClients, run_relay

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    bootstrap: str
    group_id: str
    requests_topic: str
    results_topic: str
    events_topic: str
    settle_timeout_s: float = 30.0  # how long to follow a pending payout before retrying later
    poll_interval_s: float = 0.2
    # Payouts in flight at once (each mostly waits for its provider), and how often the
    # offsets of the finished prefix are committed (a crash redoes at most the window).
    max_in_flight: int = 256
    commit_interval_s: float = 0.2
    # How long payouts in flight may take to end before their partitions move to another
    # dispatcher (a rebalance) or this one leaves the group (a failure); then they are cancelled.
    handover_timeout_s: float = 30.0


class Unsettled(RuntimeError):
    """A payout whose outcome is not known yet: leave the offset, come back to it."""


class Dispatch:
    def __init__(
        self, config: DispatchConfig, router: Router, catalog: ProductSource, vault: CardVault,
        call_log: OutboundCallLog | None = None,
    ) -> None:  # fmt: skip
        """`call_log` must be the `on_call` hook of the router's adapters; None: calls unlogged."""
        self._config = config
        self._router = router
        self._catalog = catalog
        self._vault = vault
        self._call_log = call_log
        self._stopping = asyncio.Event()
        self._paying: dict[str, asyncio.Future[PayoutOutcome]] = {}  # order id → its payout
        self.dispatched = 0

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        c = self._config
        # Small polls: the window takes what it has room for (getmany's max_records) anyway.
        # The group waits for a handover a little longer than the handover may take.
        clients = RelayClients(c.bootstrap, c.group_id, None, 50, rebalance_timeout_s=c.handover_timeout_s + 15)
        await run_relay("dispatch", clients, self._loop, self._stopping)

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        # A sliding window (streams/inflight.py), not a barrier per poll: a payout waiting for
        # its bank holds up no other, and the offsets move past each contiguous finished prefix.
        window: InFlight[tuple[Order, PayoutResult] | None] = InFlight(self._config.max_in_flight)
        commits = _Commits(consumer, producer, window, self._emit_calls)
        timeout_s = self._config.handover_timeout_s
        consumer.subscribe([self._config.requests_topic],
                           listener=Handover("dispatch", window, commits.commit, timeout_s))  # fmt: skip
        fetching = asyncio.create_task(self._fetch(consumer, window), name="dispatch-fetch")
        try:
            await self._hand_on(producer, window, commits, fetching)
        finally:
            fetching.cancel()
            await asyncio.gather(fetching, return_exceptions=True)
            # Still a member of the group: no one else starts these orders while they end.
            if not await window.settled(None, timeout_s):
                log.error("dispatch: payouts still running %.0f s after a failure are cancelled", timeout_s)
            await window.cancel_all()  # redone from the last commit by whoever reads on

    async def _fetch(self, consumer: AIOKafkaConsumer, window: InFlight[Any]) -> None:
        while not self._stopping.is_set():
            await window.wait_for_room()
            batch = await consumer.getmany(timeout_ms=200, max_records=window.room)
            for tp, records in batch.items():
                for record in records:
                    window.start(tp, record.offset, self._settle(record))

    async def _hand_on(
        self, producer: AIOKafkaProducer, window: InFlight[tuple[Order, PayoutResult] | None],
        commits: _Commits, fetching: asyncio.Task[None],
    ) -> None:  # fmt: skip
        """Produces each payout's result as soon as it is known; commits every interval."""
        clock = asyncio.get_running_loop().time
        interval = self._config.commit_interval_s
        next_commit = clock() + interval
        while not (fetching.done() and not len(window)):
            first = await window.next_finished(max(0.0, min(next_commit - clock(), 0.2)))
            for slot in ([first] if first else []) + window.finished_now():
                settled = slot.task.result()  # Unsettled and other errors: restart from the commit
                crash_point("dispatch")  # paid at the provider, nothing produced or committed
                if settled is not None:
                    commits.sent(await self._emit(producer, *settled))
                window.hand_on(slot)
            if fetching.done():
                fetching.result()  # a failed fetch fails the loop (stopping ends it cleanly)
            if clock() >= next_commit:
                await commits.commit()
                next_commit = clock() + interval
        fetching.result()  # a fetch that failed with nothing in flight fails the loop too
        await commits.commit()

    async def _settle(self, record: ConsumerRecord) -> tuple[Order, PayoutResult] | None:
        try:
            order = messages.decode_order_event(record.value).order
        except messages.MessageError as exc:
            log.warning("dispatch skipped a bad message: %s", exc)
            return None
        if order.status is not OrderStatus.RESERVED:
            return None
        at = datetime.fromtimestamp(record.timestamp / 1000, UTC)  # replays produce equal events
        sent = order.transition(OrderStatus.DISPATCHED, "sent to the provider", at)
        product = self._catalog.get(order.product_id)
        if product is None:
            return sent, PayoutResult(sent, False, f"unknown product {order.product_id}")
        try:
            with self._calls_of(order):
                outcome = await self._pay_once(self._request(order, product.type, product.provider_code))
        except ValueError as exc:  # e.g. a card transfer without a card: nothing can be paid
            return sent, PayoutResult(sent, False, f"cannot be paid: {exc}")
        paid = outcome.state is OutcomeState.PAID
        reason = f"paid by {outcome.provider}" if paid else f"declined by {outcome.provider}: {outcome.reason}"
        delivery = self._sealed_delivery(outcome) if paid else None
        # The provider that executed rides on the order (and so on to the ledger's completed or
        # failed order): reports filter by it without parsing reasons.
        sent = replace(sent, provider=outcome.provider)
        return sent, PayoutResult(sent, paid, reason, delivery)

    def _calls_of(self, order: Order) -> AbstractContextManager[None]:
        return self._call_log.payout(order.id, order.company_id) if self._call_log else nullcontext()

    def _sealed_delivery(self, outcome: PayoutOutcome) -> str | None:
        """The provider's details for the end user, as one JSON object under the vault's key."""
        if not outcome.details:
            return None
        return self._vault.seal(orjson.dumps(outcome.details, option=orjson.OPT_SORT_KEYS).decode())

    async def _pay_once(self, request: PayoutRequest) -> PayoutOutcome:
        """One payout per order in this process: a redelivered order already in the window
        (a producer retry, a restart) waits for the same payout instead of racing it."""
        paying = self._paying.get(request.order_id)
        if paying is None:
            paying = asyncio.ensure_future(self._pay_and_follow(request))
            self._paying[request.order_id] = paying
            paying.add_done_callback(lambda _: self._paying.pop(request.order_id, None))
        return await paying

    async def _pay_and_follow(self, request: PayoutRequest) -> PayoutOutcome:
        # Providers that may know the order from an earlier try are asked before paying; the
        # one paid first needs no question (providers.routing.Router.pay_unless_known).
        outcome = await self._router.pay_unless_known(request)
        deadline = asyncio.get_running_loop().time() + self._config.settle_timeout_s
        while outcome.state in (OutcomeState.PENDING, OutcomeState.UNKNOWN):
            if asyncio.get_running_loop().time() > deadline:
                raise Unsettled(f"{request.order_id}: {outcome.state.value} ({outcome.reason})")
            await asyncio.sleep(self._config.poll_interval_s)
            outcome = await self._router.status(request.product_type, request.order_id)
        return outcome

    def _request(self, order: Order, product_type: object, product_code: str) -> PayoutRequest:
        r = order.recipient
        card = self._vault.reveal(r.card_ciphertext) if r.card_ciphertext else None
        return PayoutRequest(
            order.id, product_type, order.amount, card_number=card, phone=r.phone,  # type: ignore[arg-type]
            email=r.email or order.end_user.email, product_code=product_code or None,
        )  # fmt: skip

    async def _emit(self, producer: AIOKafkaProducer, order: Order, result: PayoutResult) -> list[asyncio.Future[Any]]:
        key = order.company_id.encode()
        event = events_for(order, since=order.version - 1)[-1]
        sent = [
            await producer.send(self._config.events_topic, messages.encode_order_event(event), key=key),
            await producer.send(self._config.results_topic, encode_payout_result(result), key=key),
        ]
        self.dispatched += 1
        return sent

    async def _emit_calls(self, producer: AIOKafkaProducer) -> list[asyncio.Future[Any]]:
        """The provider calls logged since the last time, produced (their deliveries)."""
        if self._call_log is None:
            return []
        return [
            await producer.send(self._call_log.topic, messages.encode_request_log(record),
                                key=(record.company_id or "-").encode())
            for record in self._call_log.drain()
        ]  # fmt: skip


class _Commits:
    """Call-log records and results are durable before the offsets move past them, one commit
    at a time (the loop's every interval, a rebalance's for the partitions it takes away).

    Each delivery is awaited, not the producer's flush(): flush waits for the batches but raises
    nothing, so a batch the broker refused (an expired one after an outage, a broken sequence)
    lost its results while the offsets moved on. The soak found 136 orders paid at the bank and
    left `reserved` for good that way. A refusal fails every later commit too (the loop restarts
    from the last commit), also when a rebalance's commit met it first."""

    def __init__(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, window: InFlight[Any],
        emit_calls: Callable[[AIOKafkaProducer], Awaitable[list[asyncio.Future[Any]]]],
    ) -> None:  # fmt: skip
        self._consumer = consumer
        self._producer = producer
        self._window = window
        self._emit_calls = emit_calls
        self._deliveries: list[asyncio.Future[Any]] = []  # sent since the last commit
        self._lock = asyncio.Lock()
        self._refused: BaseException | None = None

    def sent(self, deliveries: list[asyncio.Future[Any]]) -> None:
        self._deliveries += deliveries

    async def commit(self, partitions: Collection[TopicPartition] | None = None) -> None:
        """Commits the handed-on progress of `partitions` (None: of all) that this consumer
        still owns. A commit the group refuses (it is rebalancing, or moved on without this
        member) is no failure: whoever owns the partitions next redoes from the last commit."""
        async with self._lock:
            if self._refused is not None:
                raise self._refused
            self._deliveries += await self._emit_calls(self._producer)
            offsets = self._window.committable(partitions)
            sent, self._deliveries = self._deliveries, []
            try:
                await asyncio.gather(*sent)
            except Exception as exc:
                self._refused = exc
                raise
            owned = self._consumer.assignment()
            offsets = {tp: offset for tp, offset in offsets.items() if tp in owned}
            if not offsets:
                return
            try:
                await self._consumer.commit(offsets)
            except CommitFailedError as exc:
                log.warning("dispatch: offsets not committed (%s); the partitions' next owner "
                            "redoes from the last commit, asking the providers first", exc)  # fmt: skip
