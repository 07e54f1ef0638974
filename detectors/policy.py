"""Decision policy. Until rules, lists and models exist, every valid order is approved."""

from __future__ import annotations

from domain.intake import Decision
from domain.orders import Order, OrderStatus


def approve_all(order: Order) -> Decision:
    return Decision(OrderStatus.APPROVED, "no fraud rules configured")
