"""Every outbound call is logged, and no PAN, CVV or gift code ever reaches the log."""

from __future__ import annotations

import httpx

from providers.banks import bank_a
from providers.base import CallRecord, ProductType
from providers.gift_certificates import GiftCertificateProvider
from providers.sanitize import mask_digits, sanitize
from providers.virtual_cards import VirtualCardProvider
from tests.providers.fakes import CONFIG, PAN, CallLog, Script, Sleeps, request_for, result, timeout

CARD_PAN = "5555555555554444"
CVV = "987"
GIFT_CODE = "GIFT-7Q2X-99ZZ"
SECRETS = (PAN, CARD_PAN, CVV, GIFT_CODE, "4111 1111 1111 1111")


def assert_clean(records: list[CallRecord]) -> None:
    assert records
    for record in records:
        text = repr(record)
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {text}"


async def test_bank_call_log_masks_the_pan_and_keeps_the_facts() -> None:
    log = CallLog()
    script = Script(pay=[timeout()], status=[result("ord_1", "completed", code=200)])
    provider = bank_a(script.client(), CONFIG, on_call=log, sleep=Sleeps())
    await provider.pay(request_for(ProductType.CARD_TRANSFER))
    assert_clean(log.records)
    pay, status = log.records
    assert (pay.method, pay.path, pay.status, pay.error) == (
        "POST",
        "/bank-a/v1/transfers",
        None,
        "ReadTimeout",
    )
    assert pay.request_body is not None and pay.request_body["card_number"] == "411111******1111"
    assert (status.method, status.path, status.status) == ("GET", "/bank-a/v1/transfers/ord_1", 200)
    assert status.response_body is not None and status.response_body["status"] == "completed"
    assert all(
        r.provider == "bank-a" and r.order_id == "ord_1" and r.duration_ms >= 0 for r in log.records
    )


async def test_virtual_card_details_never_reach_the_log() -> None:
    log = CallLog()
    details = {"pan": CARD_PAN, "expiry": "12/29", "cvv": CVV}
    script = Script(pay=[result("ord_1", "completed", details=details)])
    provider = VirtualCardProvider(script.client(), CONFIG, on_call=log)
    outcome = await provider.pay(request_for(ProductType.VIRTUAL_CARD))
    assert outcome.details == details  # the caller gets them...
    assert_clean(log.records)  # ...the log does not
    assert CARD_PAN not in repr(outcome) and CVV not in repr(outcome)


async def test_gift_code_never_reaches_the_log() -> None:
    log = CallLog()
    script = Script(pay=[result("ord_1", "completed", details={"code": GIFT_CODE})])
    provider = GiftCertificateProvider(script.client(), CONFIG, on_call=log)
    outcome = await provider.pay(request_for(ProductType.GIFT_CERTIFICATE))
    assert outcome.details["code"] == GIFT_CODE
    assert_clean(log.records)


async def test_a_pan_in_an_unexpected_place_is_masked() -> None:
    log = CallLog()
    reply = httpx.Response(
        400, json={"error": f"bad card {PAN}", "echo": {"n": "4111 1111 1111 1111"}}
    )
    provider = bank_a(Script(pay=[reply]).client(), CONFIG, on_call=log)
    await provider.pay(request_for(ProductType.CARD_TRANSFER))
    assert_clean(log.records)


async def test_a_failing_hook_does_not_change_the_outcome() -> None:
    def broken(_: CallRecord) -> None:
        raise RuntimeError("log down")

    provider = bank_a(Script(pay=[result("ord_1", "accepted")]).client(), CONFIG, on_call=broken)
    outcome = await provider.pay(request_for(ProductType.CARD_TRANSFER))
    assert outcome.provider_ref == "ref_ord_1"


def test_sanitize_helpers() -> None:
    assert mask_digits("card 4111-1111-1111-1111 ok") == "card 411111******1111 ok"
    assert mask_digits("order ord_123 amount 2500") == "order ord_123 amount 2500"
    assert sanitize({"cvv": "123", "nested": [{"code": "X"}], "phone": "+4915112345678"}) == {
        "cvv": "[redacted]",
        "nested": [{"code": "[redacted]"}],
        "phone": "+4915112345678",
    }
    assert repr(request_for(ProductType.CARD_TRANSFER)).count(PAN) == 0
