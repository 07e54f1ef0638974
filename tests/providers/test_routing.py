"""Card transfers fail over from bank A to bank B only when A certainly executed nothing."""

from __future__ import annotations

import httpx
import pytest

from providers.banks import bank_a, bank_b
from providers.base import (
    REASON_CIRCUIT_OPEN,
    Fault,
    OutcomeState,
    ProductType,
    ProviderConfig,
)
from providers.circuit import CircuitBreaker, CircuitState
from providers.routing import Route, Router
from providers.topups import TopUpProvider
from tests.providers.fakes import Script, Sleeps, error, request_for, result, timeout

CONFIG = ProviderConfig(token="sandbox-test", max_attempts=2, backoff_base_s=0.0)
REQUEST = request_for(ProductType.CARD_TRANSFER)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def setup(
    a: Script, b: Script, threshold: int = 3, clock: Clock | None = None
) -> tuple[Router, CircuitBreaker, CircuitBreaker]:
    clock = clock or Clock()
    breaker_a = CircuitBreaker(threshold, 30, clock)
    breaker_b = CircuitBreaker(threshold, 30, clock)
    router = Router(
        {
            ProductType.CARD_TRANSFER: [
                Route(bank_a(a.client(), CONFIG, sleep=Sleeps()), breaker_a),
                Route(bank_b(b.client(), CONFIG, sleep=Sleeps()), breaker_b),
            ]
        }
    )
    return router, breaker_a, breaker_b


async def test_bank_a_serves_when_healthy() -> None:
    a, b = Script(pay=[result("ord_1", "accepted")]), Script()
    router, _, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert outcome.provider == "bank-a" and outcome.state is OutcomeState.PENDING
    assert b.requests == []


@pytest.mark.parametrize(
    "down", [error(503, "down"), httpx.ConnectError("refused")], ids=["503", "connect"]
)
async def test_fails_over_to_bank_b_when_a_is_down(down: httpx.Response | Exception) -> None:
    a, b = Script(pay=[down, down]), Script(pay=[result("ord_1", "accepted")])
    router, breaker_a, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert outcome.provider == "bank-b" and outcome.state is OutcomeState.PENDING
    assert a.calls("GET") == []  # nothing to resolve: A never accepted anything
    assert breaker_a.consecutive_failures == 1


async def test_never_fails_over_after_an_ambiguous_outcome() -> None:
    a = Script(pay=[timeout()], status=[timeout(), timeout()])
    b = Script()
    router, _, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert outcome.provider == "bank-a"
    assert outcome.state is OutcomeState.UNKNOWN and outcome.fault is Fault.AMBIGUOUS
    assert b.requests == []


async def test_ambiguous_outcome_resolved_by_status_stays_on_a() -> None:
    a = Script(pay=[error(500, "boom")], status=[result("ord_1", "completed", code=200)])
    b = Script()
    router, _, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert (outcome.provider, outcome.state) == ("bank-a", OutcomeState.PAID)
    assert b.requests == []


async def test_a_decline_is_not_failed_over() -> None:
    a = Script(pay=[result("ord_1", "declined", decline_code="invalid_card")])
    b = Script()
    router, breaker_a, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert outcome.state is OutcomeState.DECLINED and b.requests == []
    assert breaker_a.state is CircuitState.CLOSED


async def test_open_breaker_skips_a_without_calling_it() -> None:
    clock = Clock()
    a = Script(pay=[error(503, "down")] * 2)
    b = Script(pay=[result("ord_1", "accepted"), result("ord_2", "accepted")])
    router, breaker_a, _ = setup(a, b, threshold=1, clock=clock)
    await router.pay(REQUEST)
    assert breaker_a.state is CircuitState.OPEN
    outcome = await router.pay(request_for(ProductType.CARD_TRANSFER, order_id="ord_2"))
    assert outcome.provider == "bank-b"
    assert len(a.requests) == 2  # only the first payout's attempts reached A


async def test_all_down_is_unknown_and_unavailable() -> None:
    a, b = Script(pay=[error(503, "down")] * 2), Script(pay=[error(503, "down")] * 2)
    router, _, _ = setup(a, b)
    outcome = await router.pay(REQUEST)
    assert outcome.state is OutcomeState.UNKNOWN and outcome.fault is Fault.UNAVAILABLE


async def test_all_breakers_open_is_circuit_open() -> None:
    router, breaker_a, breaker_b = setup(Script(), Script(), threshold=1)
    breaker_a.record_failure()
    breaker_b.record_failure()
    outcome = await router.pay(REQUEST)
    assert outcome.reason == REASON_CIRCUIT_OPEN and outcome.state is OutcomeState.UNKNOWN


async def test_status_finds_the_bank_that_has_the_order() -> None:
    a = Script(status=[error(404, "not_found")])
    b = Script(status=[result("ord_1", "completed", code=200)])
    router, _, _ = setup(a, b)
    outcome = await router.status(ProductType.CARD_TRANSFER, "ord_1")
    assert (outcome.provider, outcome.state) == ("bank-b", OutcomeState.PAID)


async def test_status_unresolved_at_one_bank_is_not_reported_as_not_found() -> None:
    a = Script(status=[error(503, "down")] * 2)
    b = Script(status=[error(404, "not_found")])
    router, _, _ = setup(a, b)
    outcome = await router.status(ProductType.CARD_TRANSFER, "ord_1")
    assert outcome.provider == "bank-a" and outcome.fault is Fault.UNAVAILABLE


async def test_unrouted_product_and_provider_lookup() -> None:
    topup = TopUpProvider(Script().client(), CONFIG)
    router = Router({ProductType.MOBILE_TOPUP: [Route(topup, CircuitBreaker())]})
    assert router.provider("topup") is topup
    with pytest.raises(LookupError):
        await router.pay(REQUEST)
