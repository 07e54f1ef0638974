"""Events that leave the domain: one per order status transition."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.orders import Order


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """The order as it stood right after transition number `sequence` (1-based)."""

    event_id: str
    sequence: int
    order: Order


def event_id_for(order_id: str, sequence: int) -> str:
    return f"{order_id}:{sequence}"


def events_for(order: Order, since: int = 0) -> tuple[OrderEvent, ...]:
    """Events for transitions after the first `since`; each carries the order as of then."""
    return tuple(
        OrderEvent(
            event_id_for(order.id, n),
            n,
            replace(order, history=order.history[:n]),
        )
        for n in range(since + 1, len(order.history) + 1)
    )
