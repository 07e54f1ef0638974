"""Crash test of the money path on a real broker: two `quadra worker` processes, orders and
top-ups for many companies in flight, workers killed with SIGKILL at random moments, the broker
restarted once; then every order must be in exactly one terminal state and the ledger clean.
After a clean run the real sink copies `ledger.entries` into an embedded ClickHouse (one path
per bench process, a database per run) and every company's statements must reconcile with the
books read from Kafka (analytics/reports/reconcile.py, as `quadra ledger verify --clickhouse`).

    python -m bench.ledger_crash                       # the full plan, once
    python -m bench.ledger_crash --runs 20             # consecutive runs, stops at the first failure
    python -m bench.ledger_crash --orders 300 --top-ups 20 --companies 5 --kills 3

A short plan of the same code runs in `make test` (tests/e2e/test_ledger_crash.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from analytics.clickhouse import ClickHouse
from analytics.reports.reconcile import ReconcileReport
from bench.crash_observers import paid_once, reconcile_through_sink, start_sandbox
from bench.quadra_process import free_port
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.money import Money
from domain.orders import EndUser, OrderRequest, Recipient, RecipientKind
from quadra.local_kafka import LocalKafka, LocalKafkaConfig
from quadra.seed import publish_sandbox_catalog
from streams import messages
from streams.admin import ensure_topics
from streams.ledger_messages import CommandEnvelope, encode_command
from streams.ledger_reader import LedgerSnapshot, read_ledger
from streams.topic_reader import read_whole
from streams.product_directory import KafkaProductStore, ProductDirectory
from streams.topics import (
    BALANCE_COMMANDS, CATALOG_PRODUCTS, COMMAND_REPLIES, ORDERS_REQUESTED, TopicNames,
)  # fmt: skip

REPO = Path(__file__).resolve().parents[1]
PARTITIONS = 4


@dataclass(frozen=True)
class CrashPlan:
    orders: int = 5000
    top_ups: int = 200
    companies: int = 20
    kills: int = 6
    restart_broker: bool = True
    failure_share: float = 0.1
    providers: bool = False  # pay through dispatch and the provider sandbox instead of the stand-in
    seed: int = 1
    settle_timeout_s: float = 300.0


@dataclass
class CrashResult:
    plan: CrashPlan
    kills: int = 0
    broker_restarts: int = 0
    seconds: float = 0.0
    snapshot: LedgerSnapshot | None = None
    problems: list[str] = field(default_factory=list)
    prefix: str = ""
    statements: ReconcileReport | None = None  # ClickHouse statements vs the books (clean runs)
    statements_seconds: float = 0.0

    @property
    def crash_ok(self) -> bool:
        """Every order terminal once, the ledger's invariants hold (statements aside)."""
        return not self.problems

    @property
    def ok(self) -> bool:
        return self.crash_ok and (self.statements is None or self.statements.ok)

    @property
    def all_problems(self) -> list[str]:
        return self.problems + (self.statements.problems if self.statements is not None else [])


class Worker:
    """One `quadra worker` subprocess with a stable worker id (its transactional id)."""

    def __init__(self, worker_id: str, env: dict[str, str], workdir: Path) -> None:
        self.worker_id = worker_id
        self.env = {**env, "QUADRA_WORKER_ID": worker_id, "QUADRA_DATA_DIR": str(workdir / worker_id)}
        self.log = workdir / f"{worker_id}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "quadra.cli", "worker"], cwd=REPO, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _order(n: int, company: str, rng: random.Random, now: datetime, providers: bool) -> OrderRequest:
    request_id = f"{int(now.timestamp() * 1000):012x}{n:020x}"
    # With real dispatch: mobile top-ups, one in ten to a number no operator serves (a decline).
    phone = "+999123456" if providers and rng.random() < 0.1 else "+4915112345678"
    return OrderRequest(
        request_id=request_id, company_id=company, idempotency_key=f"crash-{n}",
        body_hash=f"h{n}", product_id="topup-de" if providers else "card-transfer-eur",
        amount=Money(rng.choice((500, 1000, 2500, 5000)), "EUR"),
        recipient=Recipient(RecipientKind.PHONE, phone=phone),
        end_user=EndUser(f"user-{rng.randrange(200)}"), received_at=now,
        fee=rng.choice((0, 25, 50)),  # fees ride along: reserved, captured as revenue or released
    )  # fmt: skip


def _top_up(n: int, company: str, amount: int) -> bytes:
    command = BalanceCommand(
        f"crash-top-up-{n}", company, CommandKind.TOP_UP, "EUR", "crash-test",
        datetime.now(UTC), amount=amount, reference=f"wire {n}",
    )  # fmt: skip
    return encode_command(CommandEnvelope(f"crash-top-up-{n}", command))


async def _feed(plan: CrashPlan, bootstrap: str, names: TopicNames, rng: random.Random,
                flowing: asyncio.Event) -> set[str]:  # fmt: skip
    """Interleave orders and top-ups; funds cover roughly 70% of the order volume."""
    companies = [f"cmp_crash_{i:02d}" for i in range(plan.companies)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    order_ids: set[str] = set()
    try:
        per_top_up = int(plan.orders * 2250 * 0.7 / max(1, plan.top_ups))
        # The first top-up of every company lands before any order; the rest arrive mixed in.
        for i, company in enumerate(companies[: plan.top_ups]):
            await producer.send(names(BALANCE_COMMANDS), _top_up(i, company, per_top_up), key=company.encode())
        await producer.flush()
        await _replies_at_least(bootstrap, names, min(len(companies), plan.top_ups))
        flowing.set()  # the chaos starts now, with orders in flight
        top_up_at = sorted(rng.sample(range(plan.orders), max(0, min(plan.top_ups, plan.orders) - len(companies))))
        next_top_up = 0
        for n in range(plan.orders):
            while next_top_up < len(top_up_at) and top_up_at[next_top_up] <= n:
                company = companies[next_top_up % len(companies)]
                number = len(companies) + next_top_up
                await producer.send(names(BALANCE_COMMANDS), _top_up(number, company, per_top_up),
                                    key=company.encode())  # fmt: skip
                next_top_up += 1
            company = rng.choice(companies)
            request = _order(n, company, rng, datetime.now(UTC), plan.providers)
            order_ids.add(f"ord_{request.request_id}")
            await producer.send(names(ORDERS_REQUESTED), messages.encode_order_request(request),
                                key=company.encode())  # fmt: skip
            if n % 100 == 99:
                await producer.flush()
                await asyncio.sleep(0.05)  # keep orders in flight while the killer works
        await producer.flush()
    finally:
        await producer.stop()
    return order_ids


async def _replies_at_least(bootstrap: str, names: TopicNames, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len((await read_whole(bootstrap, [names(COMMAND_REPLIES)]))[names(COMMAND_REPLIES)]) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("the ledger did not answer the first top-ups")
        await asyncio.sleep(0.5)


async def _chaos(plan: CrashPlan, workers: list[Worker], broker: LocalKafka | None, rng: random.Random,
                 result: CrashResult, feeding: asyncio.Task[set[str]], flowing: asyncio.Event) -> None:  # fmt: skip
    await flowing.wait()
    restart_after = plan.kills // 2 if plan.restart_broker and broker is not None else -1
    for k in range(plan.kills):
        await asyncio.sleep(rng.uniform(1.0, 4.0))
        victim = rng.choice(workers)
        victim.kill()
        result.kills += 1
        if k == restart_after:
            assert broker is not None
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await asyncio.to_thread(broker.start)
            result.broker_restarts += 1
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        victim.start()
        for w in workers:  # a worker may also die of the broker restart: bring it back
            w.ensure_running()
    await feeding


async def _wait_settled(bootstrap: str, names: TopicNames, order_ids: set[str],
                        workers: list[Worker], timeout: float) -> LedgerSnapshot:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        for w in workers:
            w.ensure_running()
        try:
            snapshot = await read_ledger(bootstrap, names)
        except KafkaError:  # the broker may still be settling after its restart
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(2.0)
            continue
        if order_ids <= set(snapshot.terminal) or time.monotonic() > deadline:
            return snapshot
        await asyncio.sleep(2.0)


async def _publish_catalog(bootstrap: str, names: TopicNames) -> None:
    products = ProductDirectory(bootstrap, names(CATALOG_PRODUCTS))
    await products.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        store = KafkaProductStore(producer, names(CATALOG_PRODUCTS), products)
        await publish_sandbox_catalog(products, store)
    finally:
        await producer.stop()
        await products.stop()


async def run_scenario(plan: CrashPlan, bootstrap: str, broker: LocalKafka | None, workdir: Path,
                       clickhouse: ClickHouse | None = None) -> CrashResult:  # fmt: skip
    """With `clickhouse` (an empty database), a clean run's ledger then also goes through the
    real sink into it, and every company's statements must reconcile with the books."""
    result = CrashResult(plan)
    rng = random.Random(plan.seed)
    prefix = f"crash{os.getpid()}x{rng.randrange(10**6)}."
    result.prefix = prefix
    names = TopicNames(prefix)
    started = time.monotonic()
    await ensure_topics(bootstrap, names, PARTITIONS, 1)
    await _publish_catalog(bootstrap, names)  # dispatch reads each product's type from it
    env = {**os.environ, "QUADRA_KAFKA_BOOTSTRAP": bootstrap, "QUADRA_TOPIC_PREFIX": prefix,
           "QUADRA_KAFKA_PARTITIONS": str(PARTITIONS), "QUADRA_PAYOUTS": "settlement",
           "QUADRA_SETTLEMENT_FAILURE_SHARE": str(plan.failure_share),
           # The money path only: 200 users paying one phone would be held by velocity rules.
           "QUADRA_FRAUD_BUILTIN_RULES": "false"}  # fmt: skip
    sandbox = start_sandbox(workdir, env) if plan.providers else None
    if sandbox is not None:
        env.update({"QUADRA_PAYOUTS": "providers", "QUADRA_PROVIDERS_URL": sandbox[1]})
    workers = [Worker(f"w{i}", env, workdir) for i in (1, 2)]
    for w in workers:
        w.start()
    try:
        flowing = asyncio.Event()
        feeding = asyncio.create_task(_feed(plan, bootstrap, names, rng, flowing))
        await _chaos(plan, workers, broker, rng, result, feeding, flowing)
        order_ids = feeding.result()
        snapshot = await _wait_settled(bootstrap, names, order_ids, workers, plan.settle_timeout_s)
        if sandbox is not None:
            result.problems += paid_once(sandbox[1], snapshot)
    finally:
        for w in workers:
            w.stop()
        if sandbox is not None:
            sandbox[0].terminate()
            sandbox[0].wait(10)
    result.seconds = time.monotonic() - started
    result.snapshot = snapshot
    missing = order_ids - set(snapshot.terminal)
    if missing:
        stuck: dict[str, int] = {}
        for order_id in missing:
            status = snapshot.statuses.get(order_id)
            name = status.value if status is not None else "no event at all"
            stuck[name] = stuck.get(name, 0) + 1
        result.problems.append(
            f"{len(missing)} orders never reached a terminal state; last status: {stuck}; "
            f"e.g. {sorted(missing)[:3]}; topic prefix {prefix}"
        )
    extra = set(snapshot.terminal) - order_ids
    if extra:
        result.problems.append(f"{len(extra)} unknown orders appeared")
    result.problems += snapshot.verify().problems
    if clickhouse is not None and result.crash_ok:
        started = time.monotonic()
        result.statements = await reconcile_through_sink(bootstrap, names, clickhouse)
        result.statements_seconds = time.monotonic() - started
    return result


def summary(result: CrashResult) -> str:
    s = result.snapshot
    counts: dict[str, int] = {}
    for statuses in (s.terminal.values() if s else []):
        for status in statuses:
            counts[status.value] = counts.get(status.value, 0) + 1
    verdict = "CLEAN" if result.ok else f"FAILED ({len(result.all_problems)} problems)"
    return (
        f"{verdict}: {result.plan.orders} orders, {result.plan.top_ups} top-ups, "
        f"{result.plan.companies} companies, {result.kills} SIGKILLs, {result.broker_restarts} broker "
        f"restart(s), {len(s.entries) if s else 0} entries, terminal {dict(sorted(counts.items()))}, "
        f"{result.seconds:.0f} s"
    )


def statements_summary(result: CrashResult) -> str:
    r = result.statements
    if r is None:
        return "statements not reconciled (the run was not clean)"
    if not r.ok:
        return (
            f"statements DO NOT reconcile: {len(r.problems)} differences over {r.scopes} companies × "
            f"currencies ({r.statements} statements; {r.whole_problems} of them on whole histories or "
            f"the balance sheet); {r.out_of_order} entries stamped earlier than one applied before them"
        )
    return (
        f"statements reconcile for {r.scopes} companies × currencies ({r.statements} statements "
        f"against the ledger read from Kafka and its balance sheet; sink + checks {result.statements_seconds:.1f} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--orders", type=int, default=CrashPlan.orders)
    parser.add_argument("--top-ups", type=int, default=CrashPlan.top_ups)
    parser.add_argument("--companies", type=int, default=CrashPlan.companies)
    parser.add_argument("--kills", type=int, default=CrashPlan.kills)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--providers", action="store_true",
                        help="pay through dispatch and the provider sandbox (counts payouts)")  # fmt: skip
    args = parser.parse_args()
    # Broker restarts make the clients log connection errors by design: keep the report readable.
    logging.basicConfig(level=logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix="quadra-crash-"))
    # The embedded engine binds one path per process: every run gets a database of its own there.
    chdb = f"chdb:///{work / 'clickhouse'}"
    broker = LocalKafka(LocalKafkaConfig(
        home=work / "kafka", port=free_port(), controller_port=free_port(),
        libs_dir=REPO / "var" / "kafka" / "libs-4.1.1"))  # fmt: skip
    broker.ensure_jars()
    broker.start()
    try:
        for run in range(args.runs):
            plan = CrashPlan(args.orders, args.top_ups, args.companies, args.kills,
                             providers=args.providers, seed=args.seed + run)  # fmt: skip
            run_dir = work / f"run{run}"
            run_dir.mkdir()
            clickhouse = ClickHouse.connect(chdb, f"crash_run{run}")
            try:
                result = asyncio.run(run_scenario(plan, broker.bootstrap, broker, run_dir, clickhouse))
            finally:
                clickhouse.close()
            print(f"run {run + 1}/{args.runs} seed {plan.seed}: {summary(result)}", flush=True)
            if result.statements is not None:
                print(f"  {statements_summary(result)}", flush=True)
            for problem in result.problems[:20] + (result.statements.problems[:20] if result.statements else []):
                print(f"  PROBLEM {problem}", flush=True)
            if not result.ok:
                # Kept for a post-mortem: broker data (restart a broker on it) and worker logs.
                print(f"  evidence kept in {work}", flush=True)
                return 1
    finally:
        broker.stop()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
