"""The intake agent: idempotent admission and the fraud decision for every order request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from domain.intake import Decide, admit, idempotency_scope
from domain.orders import OrderStatus
from streams import messages
from streams.topics import INTAKE_REPLIES, ORDERS_DECIDED, ORDERS_EVENTS, ORDERS_REQUESTED
from streams.worker import WorkerKit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeOutputs:
    events: Any  # faust topics; typed loosely because faust's typing is incomplete
    decided: Any
    replies: Any


def register_intake(kit: WorkerKit, decide: Decide) -> None:
    requested = kit.topic(ORDERS_REQUESTED)
    outputs = IntakeOutputs(
        events=kit.topic(ORDERS_EVENTS),
        decided=kit.topic(ORDERS_DECIDED),
        replies=kit.topic(INTAKE_REPLIES),
    )
    entries = kit.table("intake-entries")

    @kit.app.agent(requested, name="intake")
    async def intake(stream: Any) -> None:
        async for value in stream:
            await process_intake(value, entries, decide, outputs)


async def process_intake(
    raw: bytes, entries: Any, decide: Decide, outputs: IntakeOutputs
) -> None:
    """Decode one order request, admit it, store the entry, emit events and the reply."""
    try:
        request = messages.decode_order_request(raw)
    except messages.MessageError as exc:
        log.warning("skipping undecodable order request: %s", exc)
        return
    scope = idempotency_scope(request.company_id, request.idempotency_key).encode()
    stored = entries.get(scope)
    existing = messages.decode_intake_entry(stored) if stored is not None else None
    result = admit(request, existing, decide)
    if result.entry is not None:
        entries[scope] = messages.encode_intake_entry(result.entry)

    key = request.company_id.encode()
    for event in result.events:
        encoded = messages.encode_order_event(event)
        await outputs.events.send(key=key, value=encoded)
        if event.order.status is not OrderStatus.RECEIVED:
            await outputs.decided.send(key=key, value=encoded)
    reply = messages.IntakeReply(request.request_id, result.admission, result.order)
    await outputs.replies.send(key=key, value=messages.encode_intake_reply(reply))
