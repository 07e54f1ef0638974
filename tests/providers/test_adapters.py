"""Table-driven mapping of each adapter's HTTP contract onto PayoutOutcome."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from providers.banks import BankTransferProvider, bank_a, bank_b
from providers.base import Fault, OutcomeState, PayoutProvider, ProductType
from providers.gift_certificates import GiftCertificateProvider
from providers.http import HttpProvider
from providers.topups import TopUpProvider
from providers.virtual_cards import VirtualCardProvider
from tests.providers.fakes import CONFIG, PAN, Script, Sleeps, error, request_for, result


def make(kind: str, script: Script) -> HttpProvider:
    client = script.client()
    sleep = Sleeps()
    if kind == "bank-a":
        return bank_a(client, CONFIG, sleep=sleep)
    if kind == "bank-b":
        return bank_b(client, CONFIG, sleep=sleep)
    if kind == "cards":
        return VirtualCardProvider(client, CONFIG, sleep=sleep)
    if kind == "gifts":
        return GiftCertificateProvider(client, CONFIG, sleep=sleep)
    return TopUpProvider(client, CONFIG, sleep=sleep)


PRODUCT = {
    "bank-a": ProductType.CARD_TRANSFER,
    "bank-b": ProductType.CARD_TRANSFER,
    "cards": ProductType.VIRTUAL_CARD,
    "gifts": ProductType.GIFT_CERTIFICATE,
    "topup": ProductType.MOBILE_TOPUP,
}
PAY_PATH = {
    "bank-a": "/bank-a/v1/transfers",
    "bank-b": "/bank-b/v1/transfers",
    "cards": "/cards/v1/cards",
    "gifts": "/gifts/v1/certificates",
    "topup": "/topup/v1/topups",
}
CARD = {"pan": "5555555555554444", "expiry": "12/29", "cvv": "123"}

# (provider, reply, state, reason, details)
CASES: list[tuple[str, httpx.Response, OutcomeState, str | None, dict[str, Any]]] = [
    ("bank-a", result("ord_1", "accepted"), OutcomeState.PENDING, None, {}),
    ("bank-a", result("ord_1", "completed", code=200), OutcomeState.PAID, None, {}),
    ("bank-a", result("ord_1", "declined", decline_code="invalid_card"), OutcomeState.DECLINED, "invalid_card", {}),
    ("bank-b", result("ord_1", "declined", decline_code="card_not_supported"), OutcomeState.DECLINED, "card_not_supported", {}),
    ("bank-b", result("ord_1", "declined", decline_code="limit_exceeded"), OutcomeState.DECLINED, "limit_exceeded", {}),
    ("bank-a", error(401, "unauthorized"), OutcomeState.UNKNOWN, "unauthorized", {}),
    ("cards", result("ord_1", "completed", details=CARD), OutcomeState.PAID, None, CARD),
    ("cards", result("ord_1", "declined", decline_code="provider_decline"), OutcomeState.DECLINED, "provider_decline", {}),
    ("gifts", result("ord_1", "completed", details={"code": "GIFT-SECRET-1"}), OutcomeState.PAID, None, {"code": "GIFT-SECRET-1"}),
    ("gifts", error(409, "out_of_stock"), OutcomeState.DECLINED, "out_of_stock", {}),
    ("topup", result("ord_1", "completed", details={"operator": "telekom-de"}), OutcomeState.PAID, None, {"operator": "telekom-de"}),
    ("topup", result("ord_1", "declined", decline_code="unknown_operator"), OutcomeState.DECLINED, "unknown_operator", {}),
    ("topup", httpx.Response(200, text="not json"), OutcomeState.UNKNOWN, "unreadable_response", {}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "reply", "state", "reason", "details"), CASES)
async def test_pay_maps_the_contract(
    kind: str,
    reply: httpx.Response,
    state: OutcomeState,
    reason: str | None,
    details: dict[str, Any],
) -> None:
    script = Script(pay=[reply])
    provider = make(kind, script)
    outcome = await provider.pay(request_for(PRODUCT[kind]))
    assert (outcome.state, outcome.reason, outcome.details) == (state, reason, details)
    assert outcome.provider == kind
    if state is not OutcomeState.UNKNOWN and reply.status_code < 300:
        assert outcome.provider_ref == "ref_ord_1"
    (sent,) = script.requests
    assert sent.method == "POST" and sent.url.path == PAY_PATH[kind]
    assert sent.headers["Idempotency-Key"] == "ord_1"
    assert sent.headers["Authorization"] == "Bearer sandbox-test"
    assert sent.extensions["timeout"]["read"] == 2.5


async def test_a_refused_call_is_unknown_but_not_a_failover_case() -> None:
    outcome = await make("bank-a", Script(pay=[error(401, "unauthorized")])).pay(
        request_for(ProductType.CARD_TRANSFER)
    )
    assert outcome.fault is Fault.REJECTED and not outcome.safe_to_fail_over


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bank-a", {"order_id": "ord_1", "amount": {"value": 2500, "currency": "EUR"}, "card_number": PAN, "reference": "ord_1"}),
        ("cards", {"order_id": "ord_1", "amount": {"value": 2500, "currency": "EUR"}, "holder_email": "a@example.com"}),
        ("gifts", {"order_id": "ord_1", "product_code": "AMAZON-DE-25", "denomination": {"value": 2500, "currency": "EUR"}}),
        ("topup", {"order_id": "ord_1", "phone": "+4915112345678", "amount": {"value": 2500, "currency": "EUR"}}),
    ],
)  # fmt: skip
async def test_pay_bodies(kind: str, expected: dict[str, Any]) -> None:
    script = Script(pay=[result("ord_1", "completed")])
    await make(kind, script).pay(request_for(PRODUCT[kind]))
    assert script.body() == expected


async def test_virtual_card_without_email_sends_no_holder() -> None:
    script = Script(pay=[result("ord_1", "completed")])
    await make("cards", script).pay(request_for(ProductType.VIRTUAL_CARD, email=None))
    assert "holder_email" not in script.body()


@pytest.mark.parametrize(
    ("kind", "request_kw"),
    [
        ("bank-a", {"card_number": None}),
        ("gifts", {"product_code": None}),
        ("topup", {"phone": None}),
    ],
)
async def test_missing_recipient_fields_are_refused_before_any_call(
    kind: str, request_kw: dict[str, Any]
) -> None:
    script = Script()
    with pytest.raises(ValueError):
        await make(kind, script).pay(request_for(PRODUCT[kind], **request_kw))
    assert script.requests == []


async def test_wrong_product_type_is_refused() -> None:
    with pytest.raises(ValueError):
        await make("bank-a", Script()).pay(request_for(ProductType.MOBILE_TOPUP))


@pytest.mark.parametrize(
    ("reply", "state", "reason"),
    [
        (result("ord_1", "completed", code=200), OutcomeState.PAID, None),
        (result("ord_1", "accepted", code=200), OutcomeState.PENDING, None),
        (result("ord_1", "declined", code=200, decline_code="invalid_card"), OutcomeState.DECLINED, "invalid_card"),
        (error(404, "not_found"), OutcomeState.UNKNOWN, "not_found"),
    ],
)  # fmt: skip
async def test_status_maps_the_contract(
    reply: httpx.Response, state: OutcomeState, reason: str | None
) -> None:
    script = Script(status=[reply])
    outcome = await make("bank-b", script).status("ord_1")
    assert (outcome.state, outcome.reason) == (state, reason)
    (sent,) = script.requests
    assert sent.method == "GET" and sent.url.path == "/bank-b/v1/transfers/ord_1"
    assert sent.headers["Idempotency-Key"] == "ord_1"


def test_every_adapter_is_a_payout_provider() -> None:
    for kind in PAY_PATH:
        assert isinstance(make(kind, Script()), PayoutProvider)
    assert issubclass(BankTransferProvider, HttpProvider)
