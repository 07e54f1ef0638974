"""The sandbox step of the fraud decision: magic values (domain/sandbox_magic.py) decide sandbox
orders, so a partner testing with a `qk_test_` key gets the outcome it asked for every time.

Only sandbox orders: a live order with the same card, phone or amount is decided by the rules,
lists and model alone. The detectors never see a clear card number, so cards match by BIN and
last four.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.orders import Order, OrderStatus
from domain.sandbox_magic import MagicOutcome, magic_of_order

# Review and fraud decline are the fraud check's own outcomes; every other magic value asks for
# a provider outcome, which needs the order approved.
_STATUS = {MagicOutcome.REVIEW: OrderStatus.IN_REVIEW, MagicOutcome.FRAUD_DECLINE: OrderStatus.DECLINED}


@dataclass(frozen=True, slots=True)
class SandboxVerdict:
    status: OrderStatus
    reason: str  # e.g. "sandbox: magic card for review"


def sandbox_verdict(order: Order) -> SandboxVerdict | None:
    """The decision a magic value forces on a sandbox order; None: decide as usual."""
    if not order.sandbox:
        return None
    r = order.recipient
    magic = magic_of_order(r.card_bin, r.card_last4, r.phone, order.amount.value)
    if magic is None:
        return None
    return SandboxVerdict(_STATUS.get(magic.outcome, OrderStatus.APPROVED), magic.reason)
