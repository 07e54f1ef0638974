"""Fault-injection matrix, stage kills (docs/reliability.md): the worker dies — as under SIGKILL,
at a test-only crash point (streams/fault_points.py) — inside each stage once, after the stage
did its work and before it committed: intake (verdict produced), ledger (reservation or capture
produced), dispatch (the provider paid), notify (the webhook sent); then the front process (API
+ sink) dies after the sink inserted rows and before it committed their offsets. A supervisor
restarts whatever died. After each stage: every accepted order (the partner retries a 503 or a
dropped connection with the same Idempotency-Key) is in exactly one terminal state, the ledger's
invariants hold, the sandbox paid each completed order once. At the end: every partner was told
(webhooks at least once, one webhook-id per event), and `quadra ledger verify --clickhouse`
reconciles the sink's copy; ClickHouse has each order once.

One stack on the session broker (no broker restart here: tests/e2e/test_ledger_crash.py and
test_broker_faults.py restart theirs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.crash_observers import paid_once
from streams.admin import ensure_topics
from streams.fault_points import CRASH_EXIT_CODE, arm
from streams.ledger_reader import LedgerSnapshot, read_ledger
from streams.topics import TopicNames
from tests.e2e.fault_stack import FaultStack, Supervised
from tests.streams.webhook_receiver import Receiver, register_endpoint, serving_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ORDERS_PER_STAGE = 6
# Which process each crash point kills.
STAGES = (("intake", "worker"), ("ledger", "worker"), ("dispatch", "worker"), ("notify", "worker"),
          ("sink", "front"))  # fmt: skip
TERMINAL = {"completed", "failed", "declined", "rejected"}


def _body(stage: str, n: int) -> dict[str, object]:
    # One order in three carries the sandbox's provider-decline phone (docs/sandbox.md): the order
    # fails and its reservation is released (both ledger paths run through every crash).
    phone = "+15005550002" if n % 3 == 2 else "+4915112345678"
    return {"product_id": "topup-de", "amount": {"value": 500 + n, "currency": "EUR"},
            "recipient": {"phone": phone}, "end_user": {"id": f"fault-{stage}-{n}"}}  # fmt: skip


async def _place(client: httpx.AsyncClient, key: str, body: dict[str, object], timeout: float = 600) -> str:
    """A partner that retries with the same key until the order is accepted."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = await client.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
            if r.status_code in (200, 201, 202):
                return str(r.json()["id"])
            assert r.status_code == 503, r.text  # intake (or the broker) away: retry, never a 5xx else
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["retry-after"].isdigit()
        except httpx.TransportError:
            pass  # the API process itself died (the sink's crash): retry
        assert time.monotonic() < deadline, f"order {key} never accepted"
        await asyncio.sleep(0.5)


async def _settled(stack: FaultStack, order_ids: set[str], timeout: float = 600) -> LedgerSnapshot:
    names = TopicNames(stack.prefix)
    deadline = time.monotonic() + timeout
    while True:
        snapshot = await read_ledger(stack.bootstrap, names)
        if order_ids <= set(snapshot.terminal) or time.monotonic() > deadline:
            return snapshot
        await asyncio.sleep(1.0)


async def _fired(path: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not fire"
        await asyncio.sleep(0.2)


async def _died(process: Supervised, deaths: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(process.exits) <= deaths:
        assert time.monotonic() < deadline, f"{process.name} did not die at its crash point"
        await asyncio.sleep(0.1)


@pytest.fixture
async def stack(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[FaultStack]:
    s = FaultStack(tmp_path / "stack", kafka_bootstrap, topic_prefix)
    # Created before either process starts: two processes creating them at once raced (Faust
    # then saw a changelog topic with 0 partitions).
    await ensure_topics(kafka_bootstrap, TopicNames(topic_prefix), 4, 1)
    try:
        await asyncio.to_thread(s.start)
        yield s
    finally:
        await s.stop()


@pytest.mark.timeout(2400)  # five restarts: minutes each on a loaded machine
async def test_a_kill_inside_each_stage_loses_nothing_and_pays_nothing_twice(stack: FaultStack) -> None:
    accepted: set[str] = set()
    timings: dict[str, float] = {}
    async with serving_receiver() as partner, httpx.AsyncClient(
        base_url=stack.url, timeout=30, headers={"Authorization": f"Bearer {stack.key}"}
    ) as client:
        await register_endpoint(client, partner)
        stack.supervise()
        for stage, victim in STAGES:
            started = time.monotonic()
            process = stack.worker if victim == "worker" else stack.front
            assert process is not None
            deaths = len(process.exits)
            fired = arm(stack.faults, stage)
            ids = await asyncio.gather(*(_place(client, f"fault-{stage}-{n}", _body(stage, n))
                                         for n in range(ORDERS_PER_STAGE)))  # fmt: skip
            accepted |= set(ids)
            await _fired(fired)
            await _died(process, deaths)  # the supervisor saw it die (and restarts it)
            snapshot = await _settled(stack, accepted)
            timings[stage] = time.monotonic() - started
            print(f"{stage}: killed, restarted, settled in {timings[stage]:.0f} s", flush=True)

            where = f"after the {stage} kill"
            assert process.exits[deaths:] == [CRASH_EXIT_CODE], f"{where}: {process.name} exits {process.exits}"
            missing = accepted - set(snapshot.terminal)
            assert not missing, f"{where}: never terminal {sorted(missing)}; last {[snapshot.statuses.get(i) for i in missing]}"
            twice = {i: s for i, s in snapshot.terminal.items() if i in accepted and len(s) != 1}
            assert not twice, f"{where}: orders with more than one terminal state {twice}"
            assert {s.value for i in accepted for s in snapshot.terminal[i]} <= TERMINAL
            assert snapshot.verify().problems == [], where
            assert paid_once(stack.sandbox_url, snapshot) == [], where
        statuses = {next(iter(snapshot.terminal[i])).value for i in accepted}
        assert {"completed", "failed"} <= statuses  # captures and releases both ran
        await _every_order_told(partner, accepted)
        # The front died last (the sink's kill): the reports must catch up once it is back —
        # and it must be back before it is stopped, or its sink has nothing to drain.
        await _reports_caught_up(client, accepted)
    await stack.stop()

    # The sink's copy: the ledger's statements reconcile with the books, each order once.
    verify = await asyncio.to_thread(stack.cli, "ledger", "verify", "--clickhouse", env=stack.front_env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    rows = stack.clickhouse(
        "SELECT count(), uniqExact(order_id), countIf(status IN ('completed', 'failed')) "
        "FROM quadra.orders FINAL WHERE company_id = 'cmp_demo'"
    )
    assert rows == [[len(accepted), len(accepted), len(accepted)]], rows
    print("stage timings (s):", {k: round(v, 1) for k, v in timings.items()})


async def _every_order_told(partner: Receiver, order_ids: set[str], timeout: float = 600) -> None:
    """Each final event reached the partner; a resend after the notify kill keeps its webhook-id."""
    deadline = time.monotonic() + timeout
    while True:
        told = {r.payload["data"]["id"]: r.headers["webhook-id"] for r in partner.ok("/hooks")}
        if order_ids <= set(told) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert order_ids <= set(told), f"never told: {sorted(order_ids - set(told))}"
    ids_per_order: dict[str, set[str]] = {}
    for r in partner.ok("/hooks"):
        ids_per_order.setdefault(r.payload["data"]["id"], set()).add(r.headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_per_order.values()), ids_per_order


async def _reports_caught_up(client: httpx.AsyncClient, order_ids: set[str], timeout: float = 600) -> None:
    """GET /v1/orders (read from ClickHouse, written by the sink) lists every order, terminal."""
    deadline = time.monotonic() + timeout
    listed: dict[str, str] = {}
    while time.monotonic() < deadline:
        listed, cursor = {}, None
        try:
            while True:
                page = await client.get("/v1/orders", params={"cursor": cursor} if cursor else {})
                if page.status_code != 200:
                    break
                listed |= {o["id"]: o["status"] for o in page.json()["data"]}
                cursor = page.json()["next_cursor"]
                if not cursor:
                    break
        except httpx.TransportError:
            pass  # the front is still coming back
        if all(listed.get(i) in TERMINAL for i in order_ids):
            return
        await asyncio.sleep(1.0)
    missing = {i: listed.get(i) for i in order_ids if listed.get(i) not in TERMINAL}
    raise AssertionError(f"the reports never caught up: {missing}")
