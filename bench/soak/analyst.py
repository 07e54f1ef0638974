"""A risk analyst working the review queue while the load runs, as a fraud desk does.

Every `interval_s` it pages through `GET /staff/v1/fraud/reviews` and approves or declines each
order there (by a hash of its id, so a rerun with the same seed chooses the same), through
`POST /staff/v1/fraud/orders/{id}/review` with an Idempotency-Key per order. Reviews therefore
run during the faults too, and the settling at the end only has the last ones left: reviewing
every held order only then took longer than the settle timeout (session 20's second soak held
~6,000 orders for review, the API took them at ~8/s).

A 503 or a connection error leaves the order for the next sweep; any other refusal is a problem.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.soak.load import stopped
from bench.soak.paging import pages

def review_action(order_id: str) -> str:
    return "approve" if zlib.crc32(order_id.encode()) % 2 == 0 else "decline"


@dataclass
class Reviews:
    done: set[str] = field(default_factory=set)  # reviewed, or refused for good
    # Any order the rules hold ends as the reviewer chose, whatever its kind expects: every
    # order a decline was sent for, answered or not.
    declined: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)  # approve / decline
    before_settling: int = 0  # reviewed by the sweeps, before the settling took over
    problems: list[str] = field(default_factory=list)


class Analyst:
    def __init__(self, url: str, staff: dict[str, str], interval_s: float, concurrency: int = 8) -> None:
        self.url, self.staff, self.interval_s = url, staff, interval_s
        self.reviews = Reviews()
        self._gate = asyncio.Semaphore(concurrency)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()
        self.reviews.before_settling = len(self.reviews.done)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30, trust_env=False) as client:
            while not await stopped(self._stop, self.interval_s):
                await self.sweep(client)

    async def sweep(self, client: httpx.AsyncClient) -> None:
        """Every order the queue shows now, page by page; stops at the first page it cannot read
        (the API restarting), the next sweep starts over."""
        async for held in pages(client, "/staff/v1/fraud/reviews", self.staff, self.reviews.problems):
            await asyncio.gather(*(self.review(client, str(i["order_id"])) for i in held))
            if self._stop.is_set():
                return

    async def review(self, client: httpx.AsyncClient, order_id: str) -> None:
        if order_id in self.reviews.done:
            return
        action = review_action(order_id)
        if action == "decline":
            # Sent is enough: an answer lost to a restart (a connection error, a 503 after the
            # command ran) may still have declined it, and a later sweep no longer sees it held.
            self.reviews.declined.add(order_id)
        async with self._gate:
            try:
                r = await client.post(
                    f"/staff/v1/fraud/orders/{order_id}/review",
                    headers={**self.staff, "Idempotency-Key": f"soak-review-{order_id}"},
                    json={"action": action, "note": "bench.soak reviewer"},
                )  # fmt: skip
            except httpx.TransportError:
                return
        if order_id in self.reviews.done:  # a concurrent sweep and settle reviewed it meanwhile
            return
        if r.status_code < 300:
            self.reviews.done.add(order_id)
            self.reviews.counts[action] += 1
        elif r.status_code not in (429, 503):
            self.reviews.problems.append(f"review of {order_id}: {r.status_code} {r.text[:200]}")
            self.reviews.done.add(order_id)
