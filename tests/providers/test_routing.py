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


# -- pay_unless_known: what dispatch calls; as few calls as never paying twice allows ---------

NOT_FOUND = error(404, "not_found")


async def test_a_new_card_transfer_asks_bank_b_then_pays_at_a_without_asking_a() -> None:
    a = Script(pay=[result("ord_1", "accepted")])
    b = Script(status=[NOT_FOUND])
    router, _, _ = setup(a, b)
    outcome = await router.pay_unless_known(REQUEST)
    assert (outcome.provider, outcome.state) == ("bank-a", OutcomeState.PENDING)
    # A answers a repeated pay (same idempotency key) with what it did: no question needed.
    assert a.calls("GET") == [] and len(a.calls("POST")) == 1
    assert len(b.calls("GET")) == 1 and b.calls("POST") == []


async def test_an_earlier_try_paid_at_bank_b_is_reported_and_nothing_is_paid_again() -> None:
    # A crash after a fail-over to B: A is up again, but paying it would pay twice.
    a, b = Script(), Script(status=[result("ord_1", "completed", code=200)])
    router, _, _ = setup(a, b)
    outcome = await router.pay_unless_known(REQUEST)
    assert (outcome.provider, outcome.state) == ("bank-b", OutcomeState.PAID)
    assert a.requests == [] and b.calls("POST") == []


async def test_bank_b_unanswered_pays_nowhere() -> None:
    a, b = Script(), Script(status=[error(503, "down")] * 2)
    router, _, _ = setup(a, b)
    outcome = await router.pay_unless_known(REQUEST)
    assert outcome.provider == "bank-b" and outcome.state is OutcomeState.UNKNOWN
    assert a.requests == [] and b.calls("POST") == []


async def test_fails_over_to_b_only_after_a_says_it_never_saw_the_order() -> None:
    a = Script(pay=[error(503, "down")] * 2, status=[NOT_FOUND])
    b = Script(status=[NOT_FOUND], pay=[result("ord_1", "accepted")])
    router, _, _ = setup(a, b)
    outcome = await router.pay_unless_known(REQUEST)
    assert (outcome.provider, outcome.state) == ("bank-b", OutcomeState.PENDING)
    assert len(a.calls("GET")) == 1 and len(b.calls("POST")) == 1


@pytest.mark.parametrize(
    ("a_status", "state"),
    [(result("ord_1", "completed", code=200), OutcomeState.PAID), (error(503, "down"), OutcomeState.UNKNOWN)],
    ids=["an-earlier-try-reached-a", "a-unanswered"],
)
async def test_no_fail_over_when_a_knows_the_order_or_cannot_say(a_status: httpx.Response, state: OutcomeState) -> None:
    # This pay call did not reach A (503), but an earlier one may have: B is not paid.
    a = Script(pay=[error(503, "down")] * 2, status=[a_status] * 2)
    b = Script(status=[NOT_FOUND])
    router, _, _ = setup(a, b)
    outcome = await router.pay_unless_known(REQUEST)
    assert outcome.provider == "bank-a" and outcome.state is state
    assert b.calls("POST") == []


async def test_an_open_breaker_at_a_still_asks_a_before_paying_b() -> None:
    a = Script(status=[NOT_FOUND])
    b = Script(status=[NOT_FOUND], pay=[result("ord_1", "accepted")])
    router, breaker_a, _ = setup(a, b, threshold=1)
    breaker_a.record_failure()
    outcome = await router.pay_unless_known(REQUEST)
    assert outcome.provider == "bank-b" and a.calls("POST") == [] and len(a.calls("GET")) == 1


async def test_a_single_provider_product_is_paid_with_one_call() -> None:
    script = Script(pay=[result("ord_1", "completed")])
    router = Router({ProductType.MOBILE_TOPUP: [Route(TopUpProvider(script.client(), CONFIG), CircuitBreaker())]})
    outcome = await router.pay_unless_known(request_for(ProductType.MOBILE_TOPUP))
    assert outcome.state is OutcomeState.PAID and [r.method for r in script.requests] == ["POST"]
