"""The partners: orders at a steady rate through the REST API, each with its Idempotency-Key,
retried as a careful partner retries them.

A 503 or a 429 is retried after its Retry-After; a connection error or a timeout (the API
killed or restarting) after a short backoff; always with the same key and the same body, until
the API answers 200/201/202. Every key that ever got one is recorded with its order id, and a
later answer naming another order for the same key is a problem (one order per key). Any other
answer (4xx) is a problem too: the mix sends only valid orders.

The mix (seeded): plain card transfers and mobile top-ups (the built-in fraud rules may hold
some for review), and the sandbox's magic values (docs/sandbox.md) for a provider decline, a
provider timeout then success, a review and a fraud decline, and a card of the BIN bank A
refuses. The magic outcomes are checked at the end (bench/soak/checks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from sandbox.validation import luhn_check_digit

# What a magic order must end as (after the soak's review: approve → completed).
EXPECTED: dict[str, frozenset[str]] = {
    "magic-success": frozenset({"completed"}),
    "magic-timeout": frozenset({"completed"}),
    "magic-provider-decline": frozenset({"failed"}),
    "magic-fraud-decline": frozenset({"declined"}),
    "magic-review": frozenset({"completed", "declined"}),  # what the soak's reviewer chose
    "blocked-bin": frozenset({"failed"}),
}
# (share, kind): what the partners send.
MIX: tuple[tuple[float, str], ...] = (
    (0.35, "card"), (0.25, "topup"), (0.10, "magic-success"), (0.06, "magic-timeout"),
    (0.06, "magic-provider-decline"), (0.06, "magic-review"), (0.06, "magic-fraud-decline"),
    (0.06, "blocked-bin"),
)  # fmt: skip
MAGIC_CARD = {
    "magic-success": "4242424242424242", "magic-timeout": "4242424242490003",
    "magic-provider-decline": "4242424242400002", "magic-review": "4242424242480004",
    "magic-fraud-decline": "4242424242470005",
}  # fmt: skip


def luhn_card(rng: random.Random, bin6: str) -> str:
    digits = bin6 + "".join(str(rng.randrange(10)) for _ in range(9))
    return digits + luhn_check_digit(digits)


def order_body(rng: random.Random, kind: str) -> dict[str, Any]:
    end_user = {"id": f"user-{rng.randrange(500)}"}
    amount = rng.randrange(100, 5000)
    if kind == "topup":
        phone = f"+49{rng.choice(('15', '17'))}{rng.randrange(10**8, 10**9)}"
        return {"product_id": "topup-de", "amount": {"value": rng.randrange(500, 5000), "currency": "EUR"},
                "recipient": {"phone": phone}, "end_user": end_user}  # fmt: skip
    if kind == "card":
        card = luhn_card(rng, rng.choice(("411111", "520000", "535310")))
    elif kind == "blocked-bin":
        card = luhn_card(rng, "400000")
    else:
        card = MAGIC_CARD[kind]
    return {"product_id": "card-transfer-eur", "amount": {"value": amount, "currency": "EUR"},
            "recipient": {"card_number": card}, "end_user": end_user}  # fmt: skip


def pick_kind(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for share, kind in MIX:
        acc += share
        if x < acc:
            return kind
    return MIX[-1][1]


@dataclass
class Accepted:
    order_id: str
    api_key: str
    kind: str
    company: str
    body: dict[str, Any]
    attempts: int  # 1: accepted at the first try


@dataclass
class LoadStats:
    sent: int = 0  # distinct keys
    accepted: dict[str, Accepted] = field(default_factory=dict)  # key → the order
    answers: Counter[str] = field(default_factory=Counter)  # HTTP status or error kind → count
    retries: int = 0
    dropped: int = 0  # not sent: too many already waiting
    gave_up: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class PartnerLoad:
    def __init__(
        self, url: str, companies: list[tuple[str, str]], rate: float, seed: int, run_id: str,
        max_waiting: int = 5000, give_up_s: float = 1800.0,
    ) -> None:  # fmt: skip
        self.url, self.companies, self.rate, self.run_id = url, companies, rate, run_id
        self.rng = random.Random(seed)
        self.stats = LoadStats()
        self.max_waiting, self.give_up_s = max_waiting, give_up_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._client = httpx.AsyncClient(
            base_url=url, trust_env=False, timeout=httpx.Timeout(30.0, pool=None),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )  # fmt: skip

    async def run(self) -> None:
        """Sends at `rate` until stop(); open loop (a slow answer does not slow the sending)."""
        started, n = time.monotonic(), 0
        while not self._stop.is_set():
            company, key = self.companies[n % len(self.companies)]
            kind = pick_kind(self.rng)
            body = order_body(self.rng, kind)
            idem = f"{self.run_id}-{n}"
            n += 1
            if len(self._tasks) >= self.max_waiting:
                self.stats.dropped += 1
            else:
                self.stats.sent += 1
                task = asyncio.create_task(self._order(company, key, kind, idem, body))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, started + n / self.rate - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()

    @property
    def waiting(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout_s: float) -> None:
        """Until every order sent has been accepted (or given up on); then closes the client."""
        deadline = time.monotonic() + timeout_s
        while self._tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        for task in list(self._tasks):
            task.cancel()
            self.stats.gave_up.append(f"{task.get_name()} still unanswered when the soak ended")
        await self._client.aclose()

    async def _order(self, company: str, api_key: str, kind: str, idem: str, body: dict[str, Any]) -> None:
        asyncio.current_task().set_name(idem)  # type: ignore[union-attr]
        headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": idem}
        first = time.monotonic()
        backoff, attempts = 0.5, 0
        while True:
            wait = backoff
            attempts += 1
            try:
                r = await self._client.post("/v1/orders", json=body, headers=headers)
            except httpx.TransportError as exc:  # timeouts included: the API is down or restarting
                self.stats.answers[type(exc).__name__] += 1
                backoff = min(backoff * 2, 5.0)
            else:
                self.stats.answers[str(r.status_code)] += 1
                if r.status_code in (200, 201, 202):
                    self._accepted(idem, Accepted(str(r.json()["id"]), api_key, kind, company, body, attempts))
                    return
                if r.status_code not in (429, 503):
                    self.stats.problems.append(f"{idem} ({kind}): {r.status_code} {r.text[:300]}")
                    return
                wait = float(r.headers.get("retry-after", "1") or 1)
            if time.monotonic() - first > self.give_up_s:
                self.stats.gave_up.append(f"{idem}: no 2xx in {self.give_up_s:.0f} s")
                return
            self.stats.retries += 1
            await asyncio.sleep(wait)

    def _accepted(self, idem: str, order: Accepted) -> None:
        known = self.stats.accepted.get(idem)
        if known is None:
            self.stats.accepted[idem] = order
        elif known.order_id != order.order_id:
            self.stats.problems.append(f"{idem}: two orders for one key, {known.order_id} and {order.order_id}")


async def stopped(stop: asyncio.Event, within_s: float) -> bool:
    """Whether `stop` was set within `within_s` (returns as soon as it is)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), within_s)
    return stop.is_set()


class StaffTopUps:
    """Staff top up the companies' balances now and then (each with its Idempotency-Key,
    retried like the orders): money commands and audit-log entries during the faults too."""

    def __init__(self, url: str, staff: dict[str, str], companies: list[str], interval_s: float, run_id: str) -> None:
        self.url, self.staff, self.companies, self.interval_s, self.run_id = url, staff, companies, interval_s, run_id
        self.done = 0
        self.retries = 0
        self.problems: list[str] = []
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        n = 0
        async with httpx.AsyncClient(base_url=self.url, timeout=30, trust_env=False) as client:
            while not await stopped(self._stop, self.interval_s):
                company = self.companies[n % len(self.companies)]
                await self._top_up(client, company, f"{self.run_id}-top-up-{n}")
                n += 1

    async def _top_up(self, client: httpx.AsyncClient, company: str, idem: str) -> None:
        headers = {**self.staff, "Idempotency-Key": idem}
        body = {"amount": 1_000_000, "reference": idem}
        for _ in range(150):
            try:
                r = await client.post(f"/staff/v1/companies/{company}/balances/EUR/top-ups", json=body, headers=headers)
            except httpx.TransportError:
                r = None
            if r is not None and r.status_code < 300:
                self.done += 1
                return
            if r is not None and r.status_code not in (429, 503):
                self.problems.append(f"top-up {idem}: {r.status_code} {r.text[:300]}")
                return
            self.retries += 1
            await asyncio.sleep(2.0)
        self.problems.append(f"top-up {idem}: no 2xx after 150 tries")
