"""Ambiguous outcomes are resolved by status, never by paying again blindly."""

from __future__ import annotations

import httpx

from providers.banks import BankTransferProvider, bank_a
from providers.base import Fault, OutcomeState, ProductType, ProviderConfig
from providers.gift_certificates import GiftCertificateProvider
from tests.providers.fakes import CONFIG, Script, Sleeps, error, request_for, result, timeout

REQUEST = request_for(ProductType.CARD_TRANSFER)


def bank(
    script: Script, sleeps: Sleeps | None = None, config: ProviderConfig = CONFIG
) -> BankTransferProvider:
    return bank_a(script.client(), config, sleep=sleeps or Sleeps())


async def test_timeout_then_status_completed_is_paid_without_a_second_pay() -> None:
    script = Script(pay=[timeout()], status=[result("ord_1", "completed", code=200)])
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.PAID and outcome.provider_ref == "ref_ord_1"
    assert len(script.calls("POST")) == 1
    (query,) = script.calls("GET")
    assert query.url.path == "/bank-a/v1/transfers/ord_1"
    assert query.headers["Idempotency-Key"] == "ord_1"


async def test_timeout_then_status_accepted_is_pending() -> None:
    script = Script(pay=[timeout()], status=[result("ord_1", "accepted", code=200)])
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.PENDING
    assert len(script.calls("POST")) == 1


async def test_timeout_then_status_not_found_retries_pay_exactly_once() -> None:
    script = Script(
        pay=[timeout(), result("ord_1", "accepted")],
        status=[error(404, "not_found")],
    )
    sleeps = Sleeps()
    outcome = await bank(script, sleeps).pay(REQUEST)
    assert outcome.state is OutcomeState.PENDING
    first, second = script.calls("POST")
    assert first.content == second.content  # same body, same idempotency key
    assert second.headers["Idempotency-Key"] == "ord_1"
    assert len(script.calls("GET")) == 1
    assert sleeps.delays == [0.05]


async def test_timeout_and_unresolvable_status_is_unknown_and_never_pays_again() -> None:
    script = Script(pay=[timeout()], status=[timeout(), error(500, "boom"), error(503, "down")])
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.UNKNOWN and outcome.fault is Fault.AMBIGUOUS
    assert not outcome.safe_to_fail_over
    assert len(script.calls("POST")) == 1
    assert len(script.calls("GET")) == CONFIG.max_attempts


async def test_500_then_success_goes_through_status() -> None:
    script = Script(
        pay=[error(500, "internal"), result("ord_1", "completed")],
        status=[error(404, "not_found")],
    )
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.PAID
    assert [r.method for r in script.requests] == ["POST", "GET", "POST"]


async def test_500_when_the_provider_did_execute_is_resolved_without_a_second_pay() -> None:
    script = Script(
        pay=[error(502, "bad_gateway")], status=[result("ord_1", "completed", code=200)]
    )
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.PAID
    assert len(script.calls("POST")) == 1


async def test_503_then_success_retries_with_backoff_and_no_status() -> None:
    sleeps = Sleeps()
    script = Script(pay=[error(503, "down"), error(503, "down"), result("ord_1", "accepted")])
    outcome = await bank(script, sleeps).pay(REQUEST)
    assert outcome.state is OutcomeState.PENDING
    assert script.calls("GET") == []
    assert sleeps.delays == [0.05, 0.1]


async def test_503_throughout_is_unavailable_and_safe_to_fail_over() -> None:
    script = Script(pay=[error(503, "down")] * 3)
    outcome = await bank(script).pay(REQUEST)
    assert outcome.state is OutcomeState.UNKNOWN and outcome.fault is Fault.UNAVAILABLE
    assert outcome.safe_to_fail_over


async def test_connection_errors_are_unavailable() -> None:
    script = Script(pay=[httpx.ConnectError("refused")] * 3)
    outcome = await bank(script).pay(REQUEST)
    assert outcome.safe_to_fail_over
    assert len(script.calls("POST")) == 3


async def test_ambiguity_once_seen_is_never_safe_to_fail_over() -> None:
    script = Script(
        pay=[timeout(), error(503, "down"), error(503, "down")],
        status=[error(404, "not_found")],
    )
    outcome = await bank(script).pay(REQUEST)
    assert outcome.fault is Fault.AMBIGUOUS and not outcome.safe_to_fail_over


async def test_backoff_is_exponential_and_capped() -> None:
    config = ProviderConfig(max_attempts=5, backoff_base_s=0.1, backoff_max_s=0.3)
    assert [config.backoff(n) for n in range(1, 5)] == [0.1, 0.2, 0.3, 0.3]


async def test_idempotency_mismatch_reports_the_original_outcome() -> None:
    script = Script(
        pay=[error(409, "idempotency_mismatch")],
        status=[result("ord_1", "completed", code=200, details={"code": "X"})],
    )
    provider = GiftCertificateProvider(script.client(), CONFIG, sleep=Sleeps())
    outcome = await provider.pay(request_for(ProductType.GIFT_CERTIFICATE))
    assert outcome.state is OutcomeState.PAID
    assert len(script.calls("POST")) == 1


async def test_status_retries_transient_failures() -> None:
    script = Script(status=[timeout(), result("ord_1", "completed", code=200)])
    outcome = await bank(script).status("ord_1")
    assert outcome.state is OutcomeState.PAID


async def test_status_unreachable_is_unknown() -> None:
    script = Script(status=[httpx.ConnectError("refused")] * 3)
    outcome = await bank(script).status("ord_1")
    assert outcome.state is OutcomeState.UNKNOWN and outcome.fault is Fault.UNAVAILABLE


async def test_idempotency_mismatch_with_status_unreachable_is_never_a_failover_case() -> None:
    script = Script(pay=[error(409, "idempotency_mismatch")], status=[error(503, "down")] * 3)
    outcome = await bank(script).pay(REQUEST)
    assert outcome.fault is Fault.AMBIGUOUS and not outcome.safe_to_fail_over
    assert len(script.calls("POST")) == 1
