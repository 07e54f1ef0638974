"""Dispatch's payout of one order, without Kafka: one payout per order in the process."""

from __future__ import annotations

import asyncio
import base64

from domain.cards import CardVault
from domain.catalog import Catalog
from providers.banks import bank_a, bank_b
from providers.base import OutcomeState, ProductType, ProviderConfig
from providers.circuit import CircuitBreaker
from providers.routing import Route, Router
from streams.dispatch import Dispatch, DispatchConfig
from tests.providers.fakes import Script, error, request_for, result

VAULT = CardVault({"k1": base64.b64decode(base64.b64encode(b"v" * 32))}, b"token")
CONFIG = ProviderConfig(token="sandbox-test", max_attempts=1, backoff_base_s=0.0)


async def test_a_redelivered_order_in_flight_twice_is_paid_by_one_payout() -> None:
    # The same reservation twice in the window: the second waits for the first's payout. Two
    # racing payouts would each ask B, each pay A (the idempotency key saves that one), and,
    # with A failing between them, could pay at A and B.
    a = Script(pay=[result("ord_1", "accepted")], status=[result("ord_1", "completed", code=200)])
    b = Script(status=[error(404, "not_found")])
    router = Router({ProductType.CARD_TRANSFER: [
        Route(bank_a(a.client(), CONFIG), CircuitBreaker()), Route(bank_b(b.client(), CONFIG), CircuitBreaker()),
    ]})  # fmt: skip
    dispatch = Dispatch(DispatchConfig("unused:9092", "g", "in", "out", "events", poll_interval_s=0.01),
                        router, Catalog(()), VAULT)  # fmt: skip
    request = request_for(ProductType.CARD_TRANSFER)
    first, second = await asyncio.gather(dispatch._pay_once(request), dispatch._pay_once(request))
    assert first == second and first.state is OutcomeState.PAID
    assert [r.method for r in a.requests] == ["POST", "GET"] and len(b.requests) == 1
    # Done: the next delivery of the order (after a crash, say) is a payout of its own again.
    b.status.append(error(404, "not_found"))
    a.pay.append(result("ord_1", "completed", code=200))
    again = await dispatch._pay_once(request)
    assert again.state is OutcomeState.PAID and len(b.requests) == 2
