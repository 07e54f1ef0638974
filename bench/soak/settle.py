"""The settling after the load: every accepted order followed until it is terminal, both in the
partner's order list (`GET /v1/orders`, the ClickHouse read model the reports share) and by
`GET /v1/orders/{id}`.

Each pass pages through every company's order list (500 a page) and takes what is terminal
there; only the rest is asked for one by one, and an order resting `in_review` is reviewed by
the analyst (bench/soak/analyst.py) unless it already was. An order GET shows terminal stays
pending until the list agrees: the read model must catch up too (session 20's second soak
ended with 136 orders paid at the bank and `reserved` in ClickHouse). One GET per order per
pass made a pass over ~16,000 orders take ~11 min on the 2-core machine.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.soak.analyst import Analyst
from bench.soak.load import Accepted
from bench.soak.paging import pages

TERMINAL = frozenset({"completed", "failed", "declined", "rejected"})


@dataclass
class Settled:
    status: dict[str, str] = field(default_factory=dict)  # order id → terminal status
    reviews: Counter[str] = field(default_factory=Counter)  # approve / decline
    # Any order the rules hold ends as the reviewer chose, whatever its kind expects.
    declined_in_review: set[str] = field(default_factory=set)
    reviewed_during_load: int = 0
    unsettled: dict[str, str] = field(default_factory=dict)  # order id → last status seen
    problems: list[str] = field(default_factory=list)
    passes: int = 0


async def settle(
    url: str, accepted: dict[str, Accepted], analyst: Analyst, timeout_s: float, pause_s: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Settled:
    out = Settled()
    pending = {a.order_id: a for a in accepted.values()}
    keys = sorted({a.api_key for a in accepted.values()})
    gate = asyncio.Semaphore(16)
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False, transport=transport) as client:

        async def look(order: Accepted, listed: str | None) -> None:
            async with gate:
                try:
                    r = await client.get(f"/v1/orders/{order.order_id}", headers={"Authorization": f"Bearer {order.api_key}"})
                except httpx.TransportError:
                    return
            if r.status_code != 200:
                out.unsettled[order.order_id] = f"GET answered {r.status_code}"
                return
            status = str(r.json()["status"])
            shown = "missing" if listed is None else listed
            out.unsettled[order.order_id] = status if status not in TERMINAL else f"{status} by GET, {shown} in the list"
            if status == "in_review":
                await analyst.review(client, order.order_id)

        while pending and time.monotonic() < deadline:
            out.passes += 1
            listed: dict[str, str] = {}
            for key in keys:
                listed.update(await _listed(client, key, out.problems))
            for order_id, status in listed.items():
                if order_id in pending and status in TERMINAL:
                    out.status[order_id] = status
                    del pending[order_id]
                    out.unsettled.pop(order_id, None)
            await asyncio.gather(*(look(o, listed.get(i)) for i, o in pending.items()))
            if pending:
                await asyncio.sleep(pause_s)
    out.reviews, out.declined_in_review = analyst.reviews.counts, analyst.reviews.declined
    out.reviewed_during_load = analyst.reviews.before_settling
    out.problems += analyst.reviews.problems
    for order_id in pending:
        last = out.unsettled.setdefault(order_id, "never answered")
        out.problems.append(f"order {order_id} not terminal after {timeout_s:.0f} s (last seen: {last})")
    return out


async def _listed(client: httpx.AsyncClient, api_key: str, problems: list[str]) -> dict[str, str]:
    """Order id → status of every order the key's company lists now (as far as the API answers;
    the next pass lists again)."""
    statuses: dict[str, str] = {}
    async for orders in pages(client, "/v1/orders", {"Authorization": f"Bearer {api_key}"}, problems):
        statuses.update((str(o["id"]), str(o["status"])) for o in orders)
    return statuses
