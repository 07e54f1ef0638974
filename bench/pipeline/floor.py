"""The floor: the least CPU an order can cost on this machine in the product's shape, and the
most orders per second the machine's cores could therefore carry, whatever Quadra's own code did.

    python -m bench.pipeline.cpu_cost --orders 600 --rate 20 --counts /tmp/flow.json
    python -m bench.pipeline.floor --counts /tmp/flow.json [--messages 200000] [--requests 20000]

An order in the fixed shape (DESIGN.md) is an HTTP request to the API, records through Kafka
between the stream stages (transactions for exactly-once), a provider call, a webhook and rows
in ClickHouse. This measures what the transports alone cost at their cheapest
(`bench.pipeline.unit_costs`: pre-encoded records, big batches and transactions, saturated; a
bare FastAPI endpoint) and multiplies by what one order uses of each:

- as the pipeline runs today: records produced and consumed and HTTP exchanges per order,
  counted in a real run (`bench.pipeline.cpu_cost --counts`, `bench.pipeline.flow_counts`);
- in the leanest flow the shape allows (MINIMAL_FLOW below).

ClickHouse inserts, JSON encoding, validation, the fraud check and the ledger are left out, so
both figures are lower bounds of the CPU an order needs, and the orders/s upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil

from bench.broker import delete_topics_with_prefix, open_broker
from bench.pipeline.flow_counts import FlowCounts, format_counts
from bench.pipeline.unit_costs import UnitCost, http_cost, kafka_costs


@dataclass(frozen=True)
class Flow:
    """What one order uses of each transport."""

    name: str
    produced: float  # Kafka records written
    consumed: float  # Kafka records read by consumer groups
    http: float  # HTTP exchanges (partner POST, provider calls, webhooks)


# The leanest flow DESIGN.md's shape allows: the partner's POST; records on orders.requested
# (API → intake), orders.decided (intake → ledger), payouts.requested (ledger → dispatch),
# payouts.results (dispatch → ledger), orders.events (the completion) and requests.log (every
# request is logged through the sink); read by intake, ledger, the API waiting for the
# verdict, dispatch, ledger, notify (the webhook) and the sink (events and the request log);
# one provider call and one webhook.
MINIMAL_FLOW = Flow("leanest flow of the shape", produced=6, consumed=8, http=3)


def flow_from_counts(counts: FlowCounts, orders: int) -> Flow:
    http = sum(counts.http.values())
    return Flow("the pipeline today", counts.produced / orders, counts.consumed / orders, http / orders)


def floor_ms(flow: Flow, produce: UnitCost, consume: UnitCost, http: UnitCost) -> float:
    return flow.produced * produce.total_ms + flow.consumed * consume.total_ms + flow.http * http.total_ms


def report(flows: list[Flow], costs: list[UnitCost], cores: int, target: float) -> str:
    produce, consume, http = costs
    lines = ["unit costs (CPU ms per unit: client + server; rate at saturation):"]
    for c in costs:
        server = "n/a" if c.server_ms is None else f"{c.server_ms:.4f}"
        lines.append(
            f"  {c.name:<34} {c.units:>8,} units  {c.rate:>9,.0f}/s  client {c.client_ms:.4f}  "
            f"server {server}  total {c.total_ms:.4f}"
        )
    budget = cores * 1000 / target
    lines.append(f"CPU per order the target needs: ≤ {budget:.2f} ms ({cores} cores ÷ {target:,.0f} orders/s)")
    for f in flows:
        ms = floor_ms(f, produce, consume, http)
        lines.append(
            f"  {f.name:<28} produced {f.produced:5.2f}  consumed {f.consumed:5.2f}  http {f.http:4.2f}"
            f"  → floor {ms:.2f} ms/order → at most {cores * 1000 / ms:,.0f} orders/s on {cores} cores"
            f" ({ms / budget:.2f}x the budget)"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    doc = orjson.loads(Path(args.counts).read_bytes()) if args.counts else None
    prefix = f"floor{secrets.token_hex(4)}."
    broker = await open_broker(False)
    pid = broker.local.status().pid if broker.local is not None else None
    try:
        produce, consume = await kafka_costs(
            broker.bootstrap, prefix, psutil.Process(pid) if pid else None,
            args.messages, args.message_bytes, args.batch, warmup=args.messages // 4,
        )  # fmt: skip
        http = await http_cost(args.requests, args.concurrency)
    finally:
        await asyncio.wait_for(delete_topics_with_prefix(broker.bootstrap, prefix), 60)
        await broker.stop_if_ours()
    print(f"bench.pipeline.floor  nproc {os.cpu_count()}  load {os.getloadavg()[0]:.1f}"
          f"  broker pid {pid or 'unknown (its CPU is not counted)'}")  # fmt: skip
    flows = [MINIMAL_FLOW]
    if doc is not None:
        counts, orders = FlowCounts.from_json(doc), int(doc["orders"])
        print(f"counts from {args.counts} ({orders} orders):")
        print(format_counts(counts, orders))
        flows.insert(0, flow_from_counts(counts, orders))
    print(report(flows, [produce, consume, http], args.cores, args.target))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="", help="JSON written by bench.pipeline.cpu_cost --counts")
    parser.add_argument("--messages", type=int, default=200_000, help="Kafka records produced and consumed")
    parser.add_argument("--message-bytes", type=int, default=600)
    parser.add_argument("--batch", type=int, default=1000, help="records per transaction")
    parser.add_argument("--requests", type=int, default=20_000, help="HTTP requests")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--target", type=float, default=1000.0, help="orders/s to compare with")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
