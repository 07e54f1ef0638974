"""What reports filter by rides on the order: its product type from intake, the provider that
executed from dispatch, kept by the ledger's completed or failed order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.ledger_orders import reserve, settle
from domain.orders import OrderStatus
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, book_with


@pytest.mark.parametrize(("paid", "status"), [(True, OrderStatus.COMPLETED), (False, OrderStatus.FAILED)])
def test_the_settled_order_keeps_product_type_and_provider(paid: bool, status: OrderStatus) -> None:
    order = approved_order(amount=1500, product_type="card_transfer")
    assert order.product_type == "card_transfer" and order.provider is None
    out = reserve(book_with(available=10_000), None, 0, order, T0)
    assert out.hold is not None and out.order is not None
    sent = replace(out.order.transition(OrderStatus.DISPATCHED, "sent", T0), provider="bank-b")
    settled = settle(out.book, out.hold, sent, paid, "by bank-b", T0).order
    assert settled is not None and settled.status is status
    assert (settled.product_type, settled.provider) == ("card_transfer", "bank-b")
