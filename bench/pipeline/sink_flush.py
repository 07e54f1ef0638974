"""CPU per sink flush of the `orders.events` route by batch size, in process on embedded chdb.

    python -m bench.pipeline.sink_flush [--dir /tmp/pipe-sink-flush] [--reps 5]

The profile of `quadra up` (docs/performance.md) puts a third of its active time in the sink's
ClickHouse statements. This separates a flush's fixed cost from its per-message cost: the same
route, the same SQL as the sink (`ClickHouse.insert_from_json_sync`), batches of 5 to 1,280
order events (5 events per order: received → completed), CPU time of this process per flush
(chdb runs in it). Two ways per size: `json`, the fast path (ClickHouse computes the rows from
the raw values), and `decode`, what the sink does with a batch under `SinkConfig.json_min_messages`
(Python decodes, one row insert per table, then the rollup marks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import time
from datetime import UTC, datetime

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from domain.events import events_for
from domain.intake import received_order
from domain.money import Money
from domain.orders import EndUser, OrderRequest, OrderStatus, Recipient, RecipientKind
from quadra.sink_routes import sink_routes
from streams.messages import encode_order_event
from streams.sink import SinkRoute
from streams.topics import ORDERS_EVENTS, TopicNames

LIFE = (OrderStatus.APPROVED, OrderStatus.RESERVED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def order_events(orders: int, batch: int) -> list[bytes]:
    now = datetime.now(UTC)
    out: list[bytes] = []
    for i in range(orders):
        request = OrderRequest(
            f"{batch:04x}{i:028x}", "cmp_bench", f"k-{batch}-{i}", "h", "topup-de",
            Money(500, "EUR"), Recipient(RecipientKind.PHONE, phone="+4915112345678"),
            EndUser(f"u-{i}"), now,
        )  # fmt: skip
        order = received_order(request)
        for status in LIFE:
            order = order.transition(status, "bench", now)
        out.extend(encode_order_event(e) for e in events_for(order))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline.sink_flush")
    parser.add_argument("--dir", default="/tmp/pipe-sink-flush", help="embedded ClickHouse dir (recreated)")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    ch = ClickHouse.connect(f"chdb:///{args.dir}", "quadra")
    migrate(ch)
    names = TopicNames("bench.")
    route = next(r for r in sink_routes(names) if r.topic == names(ORDERS_EVENTS))
    assert route.from_json is not None
    ch.insert_from_json_sync(order_events(2, 0), route.from_json)  # warm: stage table, caches
    asyncio.run(_decoded(ch, route, order_events(2, 0)))  # warm: column types
    print(f"load average {os.getloadavg()[0]:.2f}")
    for batch, orders in enumerate((1, 4, 16, 64, 256), start=1):
        messages = order_events(orders, batch)
        ways = {
            "json": lambda: ch.insert_from_json_sync(messages, route.from_json),
            "decode": lambda: asyncio.run(_decoded(ch, route, messages)),
        }
        for way, flush in ways.items():
            cpu0, wall0 = _cpu_s(), time.perf_counter()
            for _ in range(args.reps):
                flush()
            cpu_ms = (_cpu_s() - cpu0) / args.reps * 1000
            wall_ms = (time.perf_counter() - wall0) / args.reps * 1000
            print(f"{len(messages):5} messages a flush, {way:6}: {cpu_ms:6.1f} ms CPU a flush, "
                  f"{cpu_ms / len(messages):6.2f} ms a message, wall {wall_ms:6.1f} ms")  # fmt: skip
    ch.close()


async def _decoded(ch: ClickHouse, route: SinkRoute, messages: list[bytes]) -> None:
    """The sink's decode path for one batch (`Sink._decode`, then `_flush`'s row inserts)."""
    rows: dict[str, list[tuple]] = {}
    for value in messages:
        order_event = route.decode(value)
        for target in route.targets:
            row = target.row(order_event)
            if row is not None:
                rows.setdefault(target.table, []).append(row)
    for target in route.targets:
        await ch.insert(target.table, rows[target.table], target.columns)
        if target.after_insert is not None:
            await target.after_insert(ch, rows[target.table])


if __name__ == "__main__":
    main()
