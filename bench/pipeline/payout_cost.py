"""CPU per payout of dispatch's provider calls, in one process, as `quadra up` makes them.

    python -m bench.pipeline.payout_cost [--payouts 400] [--concurrency 100]

The provider sandbox is served by uvicorn in this process (as `quadra up` serves it) and paid
through the adapters over loopback HTTP, so a payout's CPU is the client's and the sandbox's,
as in `quadra up`. Card transfers and top-ups in turn, like the pipeline bench. Per variant:
the calls a payout takes and CPU ms a payout (process time, both ends), same process, back to
back:

- `ask every provider, then pay`: the flow before session 19 (status at every provider of the
  chain, pay, then follow the pending payout by status);
- `pay_unless_known`: what dispatch does now (providers.routing.Router.pay_unless_known);

each with httpx's default pool (100 connections, 20 kept alive) and with pools of the
`--pools` sizes, all kept alive (dispatch keeps QUADRA_PROVIDER_CONNECTIONS = 10).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import time
from collections import Counter


import httpx
import uvicorn

from domain.cards import with_luhn_digit
from domain.money import Money
from providers.base import CallRecord, OutcomeState, PayoutOutcome, PayoutRequest, ProductType, ProviderConfig
from quadra.money_roles import sandbox_router
from quadra.settings import DEV_PROVIDERS_TOKEN
from sandbox import SandboxConfig, create_sandbox_app

PAN_BIN = "411111"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(n: int, run: str) -> list[PayoutRequest]:
    out = []
    for i in range(n):
        order_id = f"ord_{run}{i:024x}"[:36]
        if i % 2 == 0:
            card = with_luhn_digit(f"{PAN_BIN}{i:09d}")
            out.append(PayoutRequest(order_id, ProductType.CARD_TRANSFER, Money(500, "EUR"), card_number=card))
        else:
            out.append(PayoutRequest(order_id, ProductType.MOBILE_TOPUP, Money(500, "EUR"), phone=f"+49152{i:08d}"))
    return out


async def _follow(router: object, request: PayoutRequest, outcome: PayoutOutcome) -> PayoutOutcome:
    while outcome.state in (OutcomeState.PENDING, OutcomeState.UNKNOWN):
        await asyncio.sleep(0.2)
        outcome = await router.status(request.product_type, request.order_id)  # type: ignore[attr-defined]
    return outcome


async def _variant(
    base_url: str, limits: httpx.Limits | None, flow: str, requests: list[PayoutRequest], concurrency: int
) -> tuple[float, Counter[str], int]:
    calls: Counter[str] = Counter()

    def on_call(call: CallRecord) -> None:
        calls[call.method] += 1

    kwargs = {"limits": limits} if limits is not None else {}
    async with httpx.AsyncClient(base_url=base_url, **kwargs) as client:
        router = sandbox_router(client, ProviderConfig(token=DEV_PROVIDERS_TOKEN), on_call)
        gate = asyncio.Semaphore(concurrency)

        async def one(request: PayoutRequest) -> PayoutOutcome:
            async with gate:
                if flow == "old":
                    known = await router.status(request.product_type, request.order_id)
                    fresh = known.state is OutcomeState.UNKNOWN and known.reason == "not_found"
                    outcome = await router.pay(request) if fresh else known
                else:
                    outcome = await router.pay_unless_known(request)
                return await _follow(router, request, outcome)

        cpu0 = time.process_time()
        outcomes = await asyncio.gather(*(one(r) for r in requests))
        cpu = time.process_time() - cpu0
    paid = sum(1 for o in outcomes if o.state is OutcomeState.PAID)
    return cpu, calls, paid


async def main_async(args: argparse.Namespace) -> None:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_sandbox_app(SandboxConfig()), host="127.0.0.1", port=port, log_level="warning",
        lifespan="off", access_log=False,
    ))  # fmt: skip
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    pools: list[tuple[str, httpx.Limits | None]] = [("httpx default pool", None)] + [
        (f"{n} kept alive", httpx.Limits(max_connections=n, max_keepalive_connections=n))
        for n in args.pools
    ]
    variants: list[tuple[str, str, httpx.Limits | None]] = [
        (f"{name}, {flow_name}", flow, limits)
        for flow, flow_name in (("old", "ask every provider, then pay"), ("new", "pay_unless_known"))
        if flow in args.flows
        for name, limits in pools
    ]
    print(f"{args.payouts} payouts (half card transfers, half top-ups), {args.concurrency} at once, "
          f"{args.rounds} rounds")  # fmt: skip
    for rnd in range(args.rounds):
        for index, (label, flow, limits) in enumerate(variants):
            requests = _requests(args.payouts, f"{rnd:02x}{index:02x}")
            cpu, calls, paid = await _variant(base_url, limits, flow, requests, args.concurrency)
            per_call = sum(calls.values()) / len(requests)
            print(f"  {label:<55} {cpu / len(requests) * 1000:6.2f} ms CPU a payout  "
                  f"{per_call:.2f} calls a payout {dict(calls)}  paid {paid}")  # fmt: skip
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(serving, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payouts", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pools", type=lambda t: [int(x) for x in t.split(",")], default=[10, 20],
                        help="pool sizes (all kept alive) next to httpx's default")
    parser.add_argument("--flows", type=lambda t: t.split(","), default=["old", "new"])
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
