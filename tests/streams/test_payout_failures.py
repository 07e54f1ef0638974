"""The payout failure matrix, end to end through the real broker.

The real ledger agent (Kafka transactions) and the real dispatch (with the production router of
`quadra.money_roles`) run on one fresh topic prefix; the provider sandbox is served over real
HTTP (uvicorn on a free port), so a provider that answers too late is a real client timeout.
Each case funds its own company, feeds an approved order to `orders.decided` (as intake does)
and watches `orders.events`, `balances`, `ledger.entries` and the sandbox's execution counts.
After every case the ledger's invariants (`quadra ledger verify`'s checks) must hold.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.cards import CardVault
from domain.events import events_for
from domain.ledger import Book, Entry, EntryKind
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.orders import Order, OrderStatus, Recipient, RecipientKind
from providers.base import ProviderConfig
from quadra.catalog_seed import SANDBOX_CATALOG
from quadra.money_roles import sandbox_router
from sandbox import SandboxConfig, create_sandbox_app
from streams import ledger_messages as lm
from streams import messages
from streams.admin import ensure_topics
from streams.dispatch import Dispatch, DispatchConfig
from streams.ledger_agent import LedgerHandler
from streams.ledger_reader import read_ledger
from streams.replies import decode_reply
from streams.topics import (
    BALANCE_COMMANDS, BALANCES, COMMAND_REPLIES, LEDGER_ENTRIES, LEDGER_STATE, ORDERS_DECIDED,
    ORDERS_EVENTS, PAYOUTS_REQUESTED, PAYOUTS_RESULTS, TopicNames,
)  # fmt: skip
from streams.txn_processor import ProcessorConfig, TransactionalProcessor
from tests.builders import T0
from tests.domain.ledger_builders import approved_order
from tests.streams.kafka_helpers import producer

pytestmark = pytest.mark.kafka

PARTITIONS = 2
TOP_UP = 100_000  # 1,000.00 EUR per company
VAULT = CardVault({"k1": b"f" * 32}, b"token-key")
# Small budgets: a call that takes longer than this is a timeout; one retry per call.
PROVIDER_CONFIG = ProviderConfig(timeout_s=0.5, max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.05)
GOOD_CARD = "4111111111111111"
BLOCKED_BIN_CARD = "4000001234567899"  # Luhn-valid, BIN 400000: the sandbox banks decline it


class _TimeoutsSeen(httpx.AsyncHTTPTransport):
    """The real transport, noting every call that timed out (method, path)."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.TimeoutException:
            self.timeouts.append((request.method, request.url.path))
            raise


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own signals
        return None


@dataclass
class Observed:
    """Everything committed to the observed topics since the prefix was created."""

    events: list[Any] = field(default_factory=list)  # OrderEvent
    books: dict[str, Book] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    replies: dict[str, Any] = field(default_factory=dict)  # request id → CommandReply


@dataclass
class Harness:
    bootstrap: str
    names: TopicNames
    sandbox: httpx.AsyncClient
    seen: Observed
    transport: _TimeoutsSeen

    async def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    async def top_up(self, company: str, amount: int = TOP_UP) -> None:
        command = BalanceCommand(f"cmd-{company}", company, CommandKind.TOP_UP, "EUR", "staff-1", T0,
                                 amount=amount, reference="wire")  # fmt: skip
        envelope = lm.CommandEnvelope(f"req-{company}", command)
        async with producer(self.bootstrap) as p:
            await p.send_and_wait(self.names(BALANCE_COMMANDS), lm.encode_command(envelope), key=company.encode())
        # Topics are not ordered against each other: the top-up lands before any order.
        reply = await self.wait_for(f"top-up of {company}", lambda: self.seen.replies.get(f"req-{company}"))
        assert reply.ok, reply

    async def decide(self, *orders: Order) -> None:
        async with producer(self.bootstrap) as p:
            for order in orders:
                event = messages.encode_order_event(events_for(order)[-1])
                await p.send_and_wait(self.names(ORDERS_DECIDED), event, key=order.company_id.encode())

    def statuses(self, order_id: str) -> list[tuple[OrderStatus, str]]:
        return [(e.order.status, e.order.history[-1].reason) for e in self.seen.events if e.order.id == order_id]

    async def final(self, order_id: str) -> tuple[OrderStatus, str]:
        def terminal() -> tuple[OrderStatus, str] | None:
            done = [s for s in self.statuses(order_id) if s[0].is_terminal]
            return done[0] if done else None

        try:
            result: tuple[OrderStatus, str] = await self.wait_for(f"a terminal status of {order_id}", terminal)
        except AssertionError:
            stats = (await self.sandbox.get("/_control/stats")).json()
            raise AssertionError(f"{order_id}: no terminal status; events {self.statuses(order_id)}, "
                                 f"sandbox {stats}") from None  # fmt: skip
        return result

    async def balance(self, company: str, available: int, reserved: int = 0) -> None:
        def matches() -> bool:
            book = self.seen.books.get(company)
            account = book.account("EUR") if book else None
            return account is not None and (account.available, account.reserved) == (available, reserved)

        try:
            await self.wait_for(f"{company} at {available}/{reserved}", matches, timeout=10)
        except AssertionError:
            book = self.seen.books.get(company)
            raise AssertionError(f"{company}: expected available/reserved {available}/{reserved}, "
                                 f"got {book.account('EUR') if book else None}") from None  # fmt: skip

    async def executions(self, order_id: str) -> dict[str, int]:
        stats = (await self.sandbox.get("/_control/stats")).json()["executions"]
        return {provider: per[order_id] for provider, per in stats.items() if order_id in per}

    def entry_kinds(self, order_id: str) -> list[EntryKind]:
        return [e.kind for e in self.seen.entries if e.order_id == order_id]

    async def settle_down(self, order_id: str) -> None:
        """Wait a little for anything that would be a duplicate (a second payout or status)."""
        await asyncio.sleep(0.5)
        terminal = [s for s in self.statuses(order_id) if s[0].is_terminal]
        assert len(terminal) == 1, f"{order_id}: terminal events {terminal}"

    async def verify_ledger(self) -> None:
        report = (await read_ledger(self.bootstrap, self.names)).verify()
        assert report.ok, report.problems
        assert report.entries > 0


async def _observe(bootstrap: str, names: TopicNames, seen: Observed, stopping: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")  # fmt: skip
    await consumer.start()
    try:
        topics = [names(ORDERS_EVENTS), names(BALANCES), names(LEDGER_ENTRIES), names(COMMAND_REPLIES)]
        tps = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while not stopping.is_set():
            for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                for r in records:
                    if tp.topic == topics[0]:
                        seen.events.append(messages.decode_order_event(r.value))
                    elif tp.topic == topics[1]:
                        book = lm.decode_book(r.value)
                        seen.books[book.company_id] = book
                    elif tp.topic == topics[2]:
                        seen.entries.append(lm.decode_entry(r.value))
                    else:
                        reply = decode_reply(r.value)
                        seen.replies[reply.request_id] = reply
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
async def harness(kafka_bootstrap: str) -> AsyncIterator[Harness]:
    prefix = f"pf{uuid.uuid4().hex[:10]}."
    names = TopicNames(prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)

    server = _Server(uvicorn.Config(create_sandbox_app(SandboxConfig(bank_completion_delay_ms=50)),
                                    host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                    access_log=False))  # fmt: skip
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the sandbox did not start"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]

    handler = LedgerHandler(names)
    ledger = TransactionalProcessor(
        ProcessorConfig(kafka_bootstrap, f"{prefix}ledger", f"{prefix}ledger-w1", handler.input_topics,
                        names(LEDGER_STATE), retry_backoff_s=0.2),
        handler,
    )  # fmt: skip
    seen, stopping = Observed(), asyncio.Event()
    transport = _TimeoutsSeen()
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=transport) as providers,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as control,
    ):
        dispatch = Dispatch(
            DispatchConfig(kafka_bootstrap, f"{prefix}dispatch", names(PAYOUTS_REQUESTED),
                           names(PAYOUTS_RESULTS), names(ORDERS_EVENTS), settle_timeout_s=5,
                           poll_interval_s=0.05),
            sandbox_router(providers, PROVIDER_CONFIG), SANDBOX_CATALOG, VAULT,
        )  # fmt: skip
        tasks = [
            asyncio.create_task(ledger.run()),
            asyncio.create_task(dispatch.run()),
            asyncio.create_task(_observe(kafka_bootstrap, names, seen, stopping)),
        ]
        try:
            yield Harness(kafka_bootstrap, names, control, seen, transport)
        finally:
            stopping.set()
            await ledger.stop()
            await dispatch.stop()
            await asyncio.gather(*tasks)
    server.should_exit = True
    await serving


@pytest.fixture(autouse=True)
async def _no_faults(harness: Harness) -> AsyncIterator[None]:
    yield
    await harness.sandbox.delete("/_control/faults")


def _card_order(n: int, company: str, number: str, amount: int = 2500) -> Order:
    card = VAULT.protect(number)
    recipient = Recipient(RecipientKind.CARD, card_token=card.token, card_bin=card.bin,
                          card_last4=card.last4, card_ciphertext=card.ciphertext)  # fmt: skip
    return approved_order(n, amount=amount, company=company, product_id="card-transfer-eur", recipient=recipient)


async def _assert_paid_once(h: Harness, order: Order, company: str, by: str) -> None:
    status, reason = await h.final(order.id)
    assert (status, reason) == (OrderStatus.COMPLETED, f"paid by {by}"), h.statuses(order.id)
    await h.settle_down(order.id)
    assert await h.executions(order.id) == {by: 1}  # one payout in total, by that provider
    # reserve, capture (and the fee's entry once orders carry fees): each exactly once
    kinds = [k.value for k in h.entry_kinds(order.id)]
    assert kinds in (["reserve", "capture"], ["reserve", "capture", "fee"]), kinds
    entries = {e.kind.value: e.amount for e in h.seen.entries if e.order_id == order.id}
    assert entries["capture"] == order.amount.value
    assert entries["reserve"] == entries["capture"] + entries.get("fee", 0)
    await h.balance(company, TOP_UP - entries["reserve"])
    await h.verify_ledger()


async def _assert_failed_and_released(h: Harness, order: Order, company: str, reason_has: str) -> str:
    await h.decide(order)
    status, reason = await h.final(order.id)
    assert status is OrderStatus.FAILED, h.statuses(order.id)
    assert reason_has in reason, reason
    await h.settle_down(order.id)
    assert await h.executions(order.id) == {}  # nothing was paid anywhere
    assert h.entry_kinds(order.id) == [EntryKind.RESERVE, EntryKind.RELEASE]
    reserve, release = (e for e in h.seen.entries if e.order_id == order.id)
    assert release.amount == reserve.amount >= order.amount.value  # all of it, fee included
    assert reason_has in (release.reason or "")
    await h.balance(company, TOP_UP, 0)  # the reservation is released in full
    await h.verify_ledger()
    return reason


async def test_bank_a_down_bank_b_pays_exactly_once(harness: Harness) -> None:
    h, company = harness, "cmp_down"
    await h.top_up(company)
    await h.sandbox.post("/_control/faults", json={"provider": "bank-a", "mode": "down"})
    order = _card_order(1, company, GOOD_CARD)
    await h.decide(order, order)  # decided twice (an upstream redelivery): reserved and paid once
    await _assert_paid_once(h, order, company, by="bank-b")
    assert [s for s, _ in h.statuses(order.id)] == [
        OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED,
    ]  # fmt: skip


async def test_provider_times_out_after_accepting_pays_once_and_completes(harness: Harness) -> None:
    h, company = harness, "cmp_timeout"
    await h.top_up(company)
    # Bank A executes the transfer, then answers long after the 0.5 s client timeout: dispatch
    # must learn the truth from a status query, and neither pay again nor fail over to bank B.
    await h.sandbox.post("/_control/faults", json={"provider": "bank-a", "mode": "timeout_after_accept",
                                                    "times": 1, "latency_ms": 3000})  # fmt: skip
    order = _card_order(2, company, "5555555555554444")
    timeouts_before = len(h.transport.timeouts)
    await h.decide(order)
    await _assert_paid_once(h, order, company, by="bank-a")
    # The pay call really timed out (no answer for 3 s, the client waits 0.5 s), and only it.
    assert h.transport.timeouts[timeouts_before:] == [("POST", "/bank-a/v1/transfers")]


async def test_a_card_the_bank_declines_fails_with_its_reason_and_releases(harness: Harness) -> None:
    h, company = harness, "cmp_decline"
    await h.top_up(company)
    order = _card_order(3, company, BLOCKED_BIN_CARD)
    reason = await _assert_failed_and_released(h, order, company, "card_not_supported")
    assert reason == "declined by bank-a: card_not_supported"  # a decline never fails over


async def test_an_injected_provider_decline_fails_the_order_and_releases(harness: Harness) -> None:
    h, company = harness, "cmp_decline2"
    await h.top_up(company)
    await h.sandbox.post("/_control/faults", json={"provider": "bank-a", "mode": "decline", "times": 1})
    order = _card_order(4, company, GOOD_CARD, amount=7700)
    reason = await _assert_failed_and_released(h, order, company, "provider_decline")
    assert reason == "declined by bank-a: provider_decline"


async def test_gift_certificates_out_of_stock_fail_the_order_and_release(harness: Harness) -> None:
    h, company = harness, "cmp_stock"
    await h.top_up(company)
    set_stock = await h.sandbox.post("/_control/stock", json={"product_code": "amazon-de-25", "codes": 0})
    assert set_stock.status_code == 200
    order = approved_order(5, amount=2500, company=company, product_id="amazon-de-25",
                           recipient=Recipient(RecipientKind.EMAIL, email="winner@example.com"))  # fmt: skip
    reason = await _assert_failed_and_released(h, order, company, "out_of_stock")
    assert reason == "declined by gifts: out_of_stock"
    await h.sandbox.post("/_control/stock", json={"product_code": "amazon-de-25", "codes": 100})


async def test_every_provider_down_the_order_waits_and_is_paid_once_after_recovery(harness: Harness) -> None:
    """Fault matrix, provider outage (docs/reliability.md): with both card banks down nothing
    can certainly be paid, so the order is not failed: dispatch leaves its offset and comes back
    (settle timeout), and after the banks return it is paid once and completes."""
    h, company = harness, "cmp_outage"
    await h.top_up(company)
    for bank in ("bank-a", "bank-b"):
        await h.sandbox.post("/_control/faults", json={"provider": bank, "mode": "down"})
    order = _card_order(7, company, GOOD_CARD)
    await h.decide(order)
    await asyncio.sleep(4.0)  # providers down for a while: retried, never failed, never paid
    assert not any(s.is_terminal for s, _ in h.statuses(order.id)), h.statuses(order.id)
    assert await h.executions(order.id) == {}
    await h.sandbox.delete("/_control/faults")  # the banks are back
    status, reason = await h.final(order.id)
    assert status is OrderStatus.COMPLETED, h.statuses(order.id)
    await h.settle_down(order.id)
    paid = await h.executions(order.id)
    assert sum(paid.values()) == 1 and reason == f"paid by {next(iter(paid))}", (paid, reason)
    assert [k.value for k in h.entry_kinds(order.id)][:2] == ["reserve", "capture"]
    await h.verify_ledger()
