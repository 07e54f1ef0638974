"""One open-loop step per rate against each system: the pipeline, the echo server, bare Kafka.

Every step records, per send, when it was sent and answered (perf_counter, one clock for the
whole run) and for the pipeline the order id and decided status; completions and webhook
arrivals come from the observers (bench/pipeline/observe.py) and are joined by order id after
the step has drained. Latencies run from the POST being sent (not from its due time: the
client's own lateness is reported apart, as send lateness).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
import orjson

from bench.baseline import Baseline
from bench.errors import Failed
from bench.order_client import OrderClient, card_number
from bench.pipeline.observe import EventWatcher, WebhookReceiver
from bench.pipeline.open_loop import OpenLoopResult, open_loop

SMALL_AMOUNT = 500  # 5.00 EUR: the minimum of both products; the demo balance lasts ~180k orders
# Every order of the run gets a recipient no earlier order had. Numbering recipients by the
# step's send index gave send i of every step (and of the warm-up) the same card, so from the
# third step on each card had been paid by three end users within a day and the built-in
# `many_users_one_card` rule rightly held the orders `in_review`. Above the indices of the
# start-up probe (bench.slice, cards 411111 + i), so no card is shared with it either.
_RECIPIENTS = itertools.count(10**8)


def pipeline_order_body(i: int, run_id: str, recipient_no: int | None = None) -> bytes:
    """A valid order, card transfer or top-up in turn, own end user and recipient, no magic value
    (docs/sandbox.md): approved, reserved, dispatched and completed by the sandbox bank.
    `recipient_no` (default: the next unused one of this process) numbers the card or phone."""
    card = i % 2 == 0
    n = next(_RECIPIENTS) if recipient_no is None else recipient_no
    recipient = {"card_number": card_number(n)} if card else {"phone": f"+49152{n % 10**8:08d}"}
    return orjson.dumps(
        {
            "product_id": "card-transfer-eur" if card else "topup-de",
            "amount": {"value": SMALL_AMOUNT, "currency": "EUR"},
            "recipient": recipient,
            "end_user": {"id": f"pipe-user-{run_id}-{i}"},
            "external_id": f"{run_id}-{i}",
        }
    )


@dataclass
class Sent:
    sent: float
    answered: float
    order_id: str = ""
    status: str = ""


@dataclass
class Step:
    """One system at one rate."""

    system: str  # "pipeline", "http echo", "kafka passthrough"
    rate: float
    loop: OpenLoopResult
    t0: float  # perf_counter at the start of the step (the clock of `sent`)
    t1: float  # perf_counter when the step had drained
    sends: list[Sent] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    completed_at: dict[str, float] = field(default_factory=dict)  # order id → seen completed
    final_status: Counter[str] = field(default_factory=Counter)  # final status seen per order
    webhook_at: dict[str, float] = field(default_factory=dict)  # order id → webhook received


async def _run_step(
    system: str, rate: float, duration_s: float, max_in_flight: int, drain_s: float,
    one: Callable[[int, Step], Awaitable[None]],
) -> Step:  # fmt: skip
    step = Step(system, rate, OpenLoopResult(rate, 0), time.perf_counter(), 0.0)
    step.loop = await open_loop(rate, duration_s, lambda i: one(i, step), max_in_flight, drain_s)
    step.t1 = time.perf_counter()
    return step


def _failure(exc: BaseException) -> str:
    if isinstance(exc, Failed):
        return str(exc)
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return "timeout"
    return type(exc).__name__


async def pipeline_step(
    client: OrderClient, run_id: str, rate: float, duration_s: float, max_in_flight: int,
    drain_s: float, watcher: EventWatcher, hooks: WebhookReceiver | None,
    api_keys: Sequence[str | None] = (None,),
) -> Step:  # fmt: skip
    """Orders go to the companies of `api_keys` in turn (None: the client's own key)."""
    tag = f"{run_id}-r{rate:g}"

    async def one(i: int, step: Step) -> None:
        body = pipeline_order_body(i, tag)
        sent = time.perf_counter()
        try:
            status, content = await client.post_order(body, f"{tag}-{i}", api_keys[i % len(api_keys)])
        except Exception as exc:  # noqa: BLE001 - counted by kind
            step.errors[_failure(exc)] += 1
            return
        answered = time.perf_counter()
        if status not in (200, 201):
            step.errors[f"HTTP {status}"] += 1
            return
        doc = orjson.loads(content)
        step.sends.append(Sent(sent, answered, str(doc.get("id")), str(doc.get("status"))))

    step = await _run_step("pipeline", rate, duration_s, max_in_flight, drain_s, one)
    # Completions: wait (up to drain_s) until every approved order is seen final on orders.events.
    deadline = time.monotonic() + drain_s
    ids = [s.order_id for s in step.sends if s.status == "approved"]
    while time.monotonic() < deadline:
        watcher.check_alive()
        if all(_final(watcher.seen.get(i)) for i in ids) and (
            hooks is None or all(i in hooks.received for i in ids)
        ):
            break
        await asyncio.sleep(0.2)
    step.t1 = time.perf_counter()
    for s in step.sends:
        seen = watcher.seen.get(s.order_id, {})
        final = _final(seen)
        if final:
            step.final_status[final] += 1
        if "completed" in seen:
            step.completed_at[s.order_id] = seen["completed"]
        if hooks is not None and s.order_id in hooks.received:
            step.webhook_at[s.order_id] = hooks.received[s.order_id]
    return step


def _final(seen: dict[str, float] | None) -> str:
    if not seen:
        return ""
    for status in ("completed", "failed", "declined", "rejected", "in_review"):
        if status in seen:
            return status
    return ""


async def echo_step(
    client: OrderClient, run_id: str, rate: float, duration_s: float, max_in_flight: int,
    drain_s: float,
) -> Step:  # fmt: skip
    tag = f"{run_id}-echo-r{rate:g}"

    async def one(i: int, step: Step) -> None:
        body = pipeline_order_body(i, tag)
        sent = time.perf_counter()
        try:
            status, _ = await client.post_order(body, f"{tag}-{i}")
        except Exception as exc:  # noqa: BLE001
            step.errors[_failure(exc)] += 1
            return
        if status != 201:
            step.errors[f"HTTP {status}"] += 1
            return
        step.sends.append(Sent(sent, time.perf_counter()))

    return await _run_step("http echo", rate, duration_s, max_in_flight, drain_s, one)


async def kafka_step(
    baseline: Baseline, rate: float, duration_s: float, max_in_flight: int, drain_s: float
) -> Step:
    async def one(i: int, step: Step) -> None:
        sent = time.perf_counter()
        try:
            latency = await baseline.one(f"r{rate:g}-{i}")
        except Exception as exc:  # noqa: BLE001
            step.errors[_failure(exc)] += 1
            return
        step.sends.append(Sent(sent, sent + latency))

    return await _run_step("kafka passthrough", rate, duration_s, max_in_flight, drain_s, one)
